/* fleet: the persona catalogue, the mixes, and which persona and host details
 * each address gets. Everything is a pure function of --seed, --mix and the
 * address index, so the same seed always gives the same fleet.
 *
 * Coverage rule (docs/lab.md): a mix is a list of P <= 1000 slots in which every
 * persona of the mix has at least one slot. Addresses are laid out in blocks of
 * P, each block a seeded permutation of the slots, so any 2P - 1 <= 1999
 * consecutive addresses contain a whole block, hence every persona. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

lab_persona *lab_personas;
size_t lab_npersonas;
lab_fleet lab_the_fleet;

#define LAB_MAX_SLOTS 1000

uint64_t lab_mix64(uint64_t x)
{
    /* splitmix64 finaliser */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- catalogue ------------------------------------------------------------------------------- */

typedef struct variant {
    const char *code;
    const char *suffix;
    unsigned flags;
} variant;

static const variant variants[] = {
    {"P", "", 0},
    {"C", "-cuonly", LAB_F_CUONLY},
    {"M", "-eomt", LAB_F_EOMT},
    {"MC", "-eomt-cuonly", LAB_F_EOMT | LAB_F_CUONLY},
    {"N", "-eomtv2", LAB_F_EOMTV2},
    {"NC", "-eomtv2-cuonly", LAB_F_EOMTV2 | LAB_F_CUONLY},
    {"F", "-f5", LAB_F_WAF_F5},
    {"R", "-gateway", LAB_F_WAF_GW},
    {"H", "-hidden", LAB_F_HIDDEN},
};

typedef struct other {
    const char *name;
    lab_kind kind;
    unsigned weight;
} other;

/* Non-Exchange personas and their weight in the default mix (Exchange personas weigh 1). */
static const other others[] = {
    {"exo", LAB_K_EXO, 6},
    {"havoc-decoy", LAB_K_HAVOC, 3},
    {"tmg", LAB_K_TMG, 3},
    {"iis", LAB_K_IIS, 5},
    {"nginx", LAB_K_NGINX, 5},
    {"tarpit", LAB_K_TARPIT, 1},
    {"endless-headers", LAB_K_ENDLESS_HEADERS, 1},
    {"huge-body", LAB_K_HUGE_BODY, 1},
    {"bad-chunked", LAB_K_BAD_CHUNKED, 1},
    {"redirect-loop", LAB_K_REDIRECT_LOOP, 1},
    {"broken-tls", LAB_K_BROKEN_TLS, 1},
    {"old-tls", LAB_K_OLD_TLS, 1},
    {"reset-mid-response", LAB_K_RESET, 1},
};

static ex_version parse_or_zero(const char *s)
{
    ex_version v = {0, 0, 0, -1};
    ex_version_parse_str(s, &v);
    return v;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static void exchange_name(const lab_build *b, const variant *v, char *buf, size_t n)
{
    char cu[16], up[24], prod[8];
    lower_copy(cu, sizeof cu, b->cu);
    lower_copy(up, sizeof up, b->update);
    lower_copy(prod, sizeof prod, lab_product_code(b->product));
    snprintf(buf, n, "e%s-%s%s%s%s", prod, cu, *up ? "-" : "", up, v->suffix);
}

static bool has_variant(const char *list, const char *code)
{
    size_t n = strlen(code);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && strncmp(p, code, n) == 0)
            return true;
        p = e;
    }
    return false;
}

/* The component build that OWA's own error redirect (owaVer=, V5) and the MAPI page (V6)
 * print. Samples 05/06 show 15.2.858.2 on a 2019 CU9 host whose CU release is 15.2.858.5
 * (remote-detection.md §1, §6.9 "component builds missing from the MS table"); for every
 * other CU the lab uses the CU release build, like the export-tool manifests seen (§1.3). */
static ex_version component_build(const lab_build *b)
{
    if (strcmp(b->cu_rtm, "15.2.858.5") == 0)
        return parse_or_zero("15.2.858.2");
    return parse_or_zero(b->cu_rtm);
}

static void add_exchange(const lab_build *b, const variant *v)
{
    lab_persona *p = &lab_personas[lab_npersonas++];
    memset(p, 0, sizeof *p);
    exchange_name(b, v, p->name, sizeof p->name);
    p->kind = LAB_K_EXCHANGE;
    p->flags = v->flags;
    p->build = b;
    p->version = parse_or_zero(b->build);
    p->cu_rtm = parse_or_zero(b->cu_rtm);
    p->component = component_build(b);
    p->weight = 1;
}

int lab_personas_init(void)
{
    if (lab_personas)
        return 0;
    size_t cap = lab_nbuilds * EX_ARRAY_LEN(variants) + EX_ARRAY_LEN(others);
    lab_personas = calloc(cap, sizeof *lab_personas);
    if (!lab_personas)
        return -1;
    for (size_t i = 0; i < lab_nbuilds; i++)
        for (size_t j = 0; j < EX_ARRAY_LEN(variants); j++)
            if (has_variant(lab_builds[i].variants, variants[j].code))
                add_exchange(&lab_builds[i], &variants[j]);
    for (size_t i = 0; i < EX_ARRAY_LEN(others); i++) {
        lab_persona *p = &lab_personas[lab_npersonas++];
        snprintf(p->name, sizeof p->name, "%s", others[i].name);
        p->kind = others[i].kind;
        p->weight = others[i].weight;
        if (p->kind == LAB_K_OLD_TLS) {
            /* Behind TLS 1.0 sits an Exchange 2010 SP3: what such an old host runs (personas.c). */
            p->build = &lab_builds[0];
            p->version = p->cu_rtm = p->component = parse_or_zero(lab_builds[0].build);
        }
    }
    return 0;
}

const lab_persona *lab_persona_by_name(const char *name)
{
    for (size_t i = 0; i < lab_npersonas; i++)
        if (strcmp(lab_personas[i].name, name) == 0)
            return &lab_personas[i];
    return NULL;
}

const char *lab_kind_name(lab_kind k)
{
    static const char *const names[LAB_K_COUNT] = {
        "exchange",        "exo",       "havoc-decoy", "tmg",           "iis",        "nginx",   "tarpit",
        "endless-headers", "huge-body", "bad-chunked", "redirect-loop", "broken-tls", "old-tls", "reset-mid-response",
    };
    return (unsigned)k < LAB_K_COUNT ? names[k] : "unknown";
}

const char *lab_hostile_name(lab_kind k)
{
    return k >= LAB_K_TARPIT && k < LAB_K_COUNT ? lab_kind_name(k) : NULL;
}

const char *lab_exchange_class(const lab_persona *p)
{
    switch (p->kind) {
    case LAB_K_EXCHANGE: return "onprem";
    case LAB_K_EXO: return "online";
    case LAB_K_HAVOC: return "decoy";
    case LAB_K_IIS:
    case LAB_K_NGINX: return "none";
    default: return "unknown"; /* TMG hides what it publishes; hostile hosts give no answer to trust */
    }
}

const char *lab_waf_name(const lab_persona *p)
{
    /* TMG/ISA is itself the device in front: its forms logon page hides what it publishes (RD §1.1:
     * the FBA GUID of the OWA page, no X-OWA-Version; §6.7). */
    if (p->kind == LAB_K_TMG)
        return "tmg";
    if (p->flags & LAB_F_WAF_F5)
        return "f5-asm";
    if (p->flags & LAB_F_WAF_GW)
        return "ztna-gateway";
    return NULL;
}

const char *lab_precision(const lab_persona *p)
{
    if (p->kind != LAB_K_EXCHANGE)
        return NULL;
    if (p->flags & LAB_F_HIDDEN)
        return "none";
    /* Exchange 2010 shows its 4-part build in every OWA asset path (remote-detection.md §1.1). */
    if ((p->flags & LAB_F_CUONLY) && p->build->product != LAB_P2010)
        return "cu";
    return "su";
}

const char *lab_persona_describe(const lab_persona *p, char *buf, size_t n)
{
    if (p->kind != LAB_K_EXCHANGE) {
        snprintf(buf, n, "%s", lab_kind_name(p->kind));
        return buf;
    }
    const lab_build *b = p->build;
    snprintf(buf, n, "Exchange %s %s%s%s %s%s%s%s%s%s%s", lab_product_code(b->product), b->cu, *b->update ? " " : "",
             b->update, b->build, (p->flags & LAB_F_CUONLY) ? ", CU only" : "", (p->flags & LAB_F_EOMT) ? ", EOMT" : "",
             (p->flags & LAB_F_EOMTV2) ? ", EOMTv2" : "", (p->flags & LAB_F_WAF_F5) ? ", behind F5 ASM" : "",
             (p->flags & LAB_F_WAF_GW) ? ", behind a status-rewriting gateway" : "",
             (p->flags & LAB_F_HIDDEN) ? ", OWA not published" : "");
    return buf;
}

/* ---- mixes ------------------------------------------------------------------------------------ */

static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = e ? e + 1 : p + len;
    }
    return false;
}

/* Fill slots with persona indexes; returns the count or -1 on a bad mix. */
static int build_slots(const char *mix, uint16_t *slots, size_t max)
{
    size_t n = 0;
    bool only = strncmp(mix, "only:", 5) == 0;
    bool exchange_only = strcmp(mix, "exchange-only") == 0;
    bool tarpit10 = strcmp(mix, "tarpit10") == 0;
    if (!only && !exchange_only && !tarpit10 && strcmp(mix, "default") != 0)
        return -1;
    size_t tarpit = 0;
    for (size_t i = 0; i < lab_npersonas; i++) {
        const lab_persona *p = &lab_personas[i];
        unsigned w = p->weight;
        if (only)
            w = in_list(mix + 5, p->name) ? 1 : 0;
        else if (exchange_only)
            w = p->kind == LAB_K_EXCHANGE ? 1 : 0;
        if (p->kind == LAB_K_TARPIT)
            tarpit = i;
        for (unsigned k = 0; k < w; k++) {
            if (n >= max)
                return -1;
            slots[n++] = (uint16_t)i;
        }
    }
    if (tarpit10) {
        /* About 10 % tarpits: t / (n - 1 + t) >= 0.1 with the one tarpit slot already there. */
        size_t t = (n - 1 + 8) / 9;
        for (size_t k = 1; k < t; k++) {
            if (n >= max)
                return -1;
            slots[n++] = (uint16_t)tarpit;
        }
    }
    return n ? (int)n : -1;
}

int lab_fleet_init(lab_fleet *f, const char *mix, const char *single_persona)
{
    if (lab_personas_init() != 0)
        return -1;
    f->assign = calloc(f->n ? f->n : 1, sizeof *f->assign);
    if (!f->assign)
        return -1;
    if (single_persona) {
        const lab_persona *p = lab_persona_by_name(single_persona);
        if (!p)
            return -2;
        for (uint32_t i = 0; i < f->n; i++)
            f->assign[i] = (uint16_t)(p - lab_personas);
        return 0;
    }
    uint16_t slots[LAB_MAX_SLOTS], perm[LAB_MAX_SLOTS];
    int ns = build_slots(mix, slots, LAB_MAX_SLOTS);
    if (ns <= 0)
        return -2;
    for (uint32_t block = 0; (uint64_t)block * (uint32_t)ns < f->n; block++) {
        uint64_t r = lab_mix64(f->seed ^ lab_mix64(0x51a7b10cull + block));
        memcpy(perm, slots, (size_t)ns * sizeof *perm);
        for (int i = ns - 1; i > 0; i--) {
            r = lab_mix64(r);
            int j = (int)(r % (uint64_t)(i + 1));
            uint16_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < ns && (uint64_t)block * (uint32_t)ns + (uint32_t)i < f->n; i++)
            f->assign[(uint64_t)block * (uint32_t)ns + (uint32_t)i] = perm[i];
    }
    return 0;
}

long lab_fleet_index(const lab_fleet *f, uint32_t addr)
{
    if (addr < f->base || addr - f->base >= f->n)
        return -1;
    return (long)(addr - f->base);
}

/* ---- hosts ------------------------------------------------------------------------------------ */

/* Operating systems by Exchange version: Microsoft's Exchange Server supportability matrix
 * (learn.microsoft.com, "Exchange Server supportability matrix"): 2010 SP3 on 2008 R2; 2013 on
 * 2008 R2 SP1, 2012, 2012 R2; 2016 on 2012 R2 and 2016; 2019 on 2019 and, from CU12, 2022; SE on
 * 2019, 2022 and 2025. remote-detection.md §7.5 asks for exactly this check. IIS versions are
 * the ones each Windows release ships. */
static const lab_os os_2008r2 = {"Windows Server 2008 R2", 6, 1, 7601, "7.5"};
static const lab_os os_2012 = {"Windows Server 2012", 6, 2, 9200, "8.0"};
static const lab_os os_2012r2 = {"Windows Server 2012 R2", 6, 3, 9600, "8.5"};
static const lab_os os_2016 = {"Windows Server 2016", 10, 0, 14393, "10.0"};
static const lab_os os_2019 = {"Windows Server 2019", 10, 0, 17763, "10.0"};
static const lab_os os_2022 = {"Windows Server 2022", 10, 0, 20348, "10.0"};
static const lab_os os_2025 = {"Windows Server 2025", 10, 0, 26100, "10.0"};

static const lab_os *pick_os(const lab_persona *p, uint64_t r)
{
    if (p->kind != LAB_K_EXCHANGE)
        return p->kind == LAB_K_OLD_TLS ? &os_2008r2 : &os_2019;
    switch (p->build->product) {
    case LAB_P2010: return &os_2008r2;
    case LAB_P2013: {
        static const lab_os *const c[] = {&os_2012r2, &os_2012r2, &os_2012, &os_2008r2};
        return c[r % 4];
    }
    case LAB_P2016: return (r & 1) ? &os_2016 : &os_2012r2;
    case LAB_P2019: return (p->version.build >= 1118 && (r & 1)) ? &os_2022 : &os_2019;
    default: {
        static const lab_os *const c[] = {&os_2019, &os_2022, &os_2025};
        return c[r % 3];
    }
    }
}

static const char *const orgs[] = {"contoso",  "fabrikam",  "northwind", "adatum",      "litware",
                                   "tailspin", "woodgrove", "proseware", "wingtiptoys", "fourthcoffee"};
static const char *const computers[] = {"EXCH", "EX", "MAIL", "MBX", "EXSRV"};

static unsigned quirks_for(const lab_persona *p, uint64_t r)
{
    unsigned q = 0;
    if (p->kind != LAB_K_EXCHANGE)
        return 0;
    if (r % 5 == 0)
        q |= LAB_Q_LOWER_XOWA;
    if ((r >> 8) % 7 == 0)
        q |= LAB_Q_XOWA_ON_302;
    if ((p->flags & LAB_F_CUONLY) && (r >> 16) % 3 == 0)
        q |= LAB_Q_EMPTY_XOWA;
    if ((r >> 24) % 4 == 0)
        q |= LAB_Q_PL_REDIRECT;
    if ((r >> 32) % 3 == 0)
        q |= LAB_Q_PS_401;
    if ((r >> 40) % 4 == 0)
        q |= LAB_Q_BASIC_REALM;
    if ((r >> 48) % 9 == 0)
        q |= LAB_Q_LOWER_FESERVER;
    return q;
}

void lab_host_get(const lab_fleet *f, uint32_t index, lab_host *h)
{
    memset(h, 0, sizeof *h);
    h->index = index;
    h->addr = f->base + index;
    h->persona = &lab_personas[f->assign[index]];
    h->rnd = lab_mix64(f->seed * 0x100000001b3ull + index);
    uint64_t r = h->rnd, r2 = lab_mix64(r);
    h->quirks = quirks_for(h->persona, r2);
    h->os = pick_os(h->persona, r >> 20);
    const char *org = orgs[r % EX_ARRAY_LEN(orgs)];
    snprintf(h->org, sizeof h->org, "%s-%u", org, index);
    char up[16];
    size_t i = 0;
    for (; org[i] && i < 9; i++)
        up[i] = (char)toupper((unsigned char)org[i]);
    up[i] = '\0';
    snprintf(h->netbios_domain, sizeof h->netbios_domain, "%s%u", up, index % 100000);
    snprintf(h->dns_domain, sizeof h->dns_domain, "%s.local", h->org);
    snprintf(h->computer, sizeof h->computer, "%s%02u", computers[(r >> 8) % EX_ARRAY_LEN(computers)],
             (unsigned)((r >> 12) % 9) + 1);
    char lc[16];
    lower_copy(lc, sizeof lc, h->computer);
    snprintf(h->fqdn, sizeof h->fqdn, "%s.%s", lc, h->dns_domain);
    snprintf(h->tls_name, sizeof h->tls_name, "mail.%s.example", h->org);
    snprintf(h->internal_ip, sizeof h->internal_ip, "10.%u.%u.%u", (unsigned)(r >> 32) & 255, (unsigned)(r >> 40) & 255,
             1 + (unsigned)((r >> 48) % 254));
    snprintf(h->pubkey_token, sizeof h->pubkey_token, "%016llx", (unsigned long long)r2);
}

const char *lab_cert_cn(const lab_host *h)
{
    return h->persona->kind == LAB_K_EXO ? "outlook.com" : h->tls_name;
}
