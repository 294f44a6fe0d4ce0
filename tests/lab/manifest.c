/* manifest: the fleet's ground truth, one JSON object per address (docs/lab.md).
 * Written before the ready file appears, so a test that waits for the ready
 * file can read the whole manifest. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"

static void json_str(ex_buf *out, const char *s)
{
    if (!s) {
        ex_buf_puts(out, "null");
        return;
    }
    ex_buf_puts(out, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            ex_buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            ex_buf_printf(out, "\\u%04x", c);
        else
            ex_buf_append(out, s, 1);
    }
    ex_buf_puts(out, "\"");
}

static void key(ex_buf *out, const char *k, bool first)
{
    ex_buf_printf(out, "%s\"%s\": ", first ? "" : ", ", k);
}

static const char *mitigation(const lab_persona *p)
{
    if (p->flags & LAB_F_EOMT)
        return "eomt";
    if (p->flags & LAB_F_EOMTV2)
        return "eomtv2";
    return NULL;
}

/* visible_build and precision as a scanner sees them, with probes (active) or without. */
static void visible_fields(ex_buf *out, const lab_host *h, bool active)
{
    lab_view v = lab_visible(h->persona, h->quirks, active);
    char b[EX_VERSION_STRLEN];
    bool none = strcmp(v.precision, "none") == 0;
    if (!none)
        ex_version_format(&v.build, b, sizeof b);
    key(out, active ? "visible_build" : "visible_build_passive", false);
    json_str(out, none ? NULL : b);
    key(out, active ? "precision" : "precision_passive", false);
    json_str(out, v.precision);
}

/* The certificate CN a default TLS client gets: none from a tarpit or broken TLS, and none from a
 * TLS 1.0-only host (a default client cannot negotiate it, RD §6.5). */
static const char *tls_name(const lab_host *h)
{
    lab_kind k = h->persona->kind;
    return k == LAB_K_TARPIT || k == LAB_K_BROKEN_TLS || k == LAB_K_OLD_TLS ? NULL : lab_cert_cn(h);
}

/* NTLM answers exist on Exchange hosts unless a gateway swallows the 401s (exchange.c). */
static void ntlm_object(ex_buf *out, const lab_host *h)
{
    const lab_persona *p = h->persona;
    if (p->kind != LAB_K_EXCHANGE || (p->flags & LAB_F_WAF_GW)) {
        ex_buf_puts(out, "null");
        return;
    }
    char os[32];
    snprintf(os, sizeof os, "%u.%u.%u", h->os->major, h->os->minor, h->os->build);
    ex_buf_puts(out, "{");
    key(out, "netbios_domain", true);
    json_str(out, h->netbios_domain);
    key(out, "netbios_computer", false);
    json_str(out, h->computer);
    key(out, "dns_domain", false);
    json_str(out, h->dns_domain);
    key(out, "dns_computer", false);
    json_str(out, h->fqdn);
    key(out, "os_version", false);
    json_str(out, os);
    ex_buf_puts(out, "}");
}

/* Wire quirks of this host (fleet.c), so that tests can pick hosts with or without them. */
static void quirks_array(ex_buf *out, unsigned q)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {LAB_Q_LOWER_XOWA, "lower-case-x-owa-version"},  {LAB_Q_XOWA_ON_302, "x-owa-version-on-owa-302"},
        {LAB_Q_EMPTY_XOWA, "empty-x-owa-version"},       {LAB_Q_PL_REDIRECT, "proxylogon-redirect"},
        {LAB_Q_PS_401, "proxyshell-patched-401"},        {LAB_Q_BASIC_REALM, "basic-realm-on-ews"},
        {LAB_Q_LOWER_FESERVER, "lower-case-x-feserver"},
    };
    bool first = true;
    ex_buf_puts(out, "[");
    for (size_t i = 0; i < EX_ARRAY_LEN(names); i++) {
        if (!(q & names[i].bit))
            continue;
        ex_buf_puts(out, first ? "" : ", ");
        json_str(out, names[i].name);
        first = false;
    }
    ex_buf_puts(out, "]");
}

static void cves_object(ex_buf *out, const lab_host *h)
{
    lab_cve_truth t[LAB_NCVES];
    size_t n = lab_truth_eval(h->persona, h->quirks, t);
    ex_buf_puts(out, "{");
    for (size_t i = 0; i < n; i++) {
        key(out, t[i].cve, i == 0);
        ex_buf_puts(out, "{");
        key(out, "truth", true);
        json_str(out, lab_status_name(t[i].truth));
        key(out, "expect", false);
        json_str(out, lab_status_name(t[i].expect));
        key(out, "expect_passive", false);
        json_str(out, lab_status_name(t[i].expect_passive));
        ex_buf_puts(out, "}");
    }
    ex_buf_puts(out, "}");
}

void lab_manifest_line(const lab_fleet *f, const lab_host *h, ex_buf *out)
{
    const lab_persona *p = h->persona;
    char ip[16], tb[EX_VERSION_STRLEN];
    lab_format_ipv4(h->addr, ip, sizeof ip);
    ex_buf_puts(out, "{");
    key(out, "ip", true);
    json_str(out, ip);
    key(out, "port", false);
    ex_buf_printf(out, "%d", f->port);
    key(out, "persona", false);
    json_str(out, p->name);
    key(out, "exchange", false);
    json_str(out, lab_exchange_class(p));
    key(out, "product", false);
    json_str(out, p->kind == LAB_K_EXCHANGE ? lab_product_code(p->build->product) : NULL);
    key(out, "true_build", false);
    json_str(out, p->build ? (ex_version_format(&p->version, tb, sizeof tb), tb) : NULL);
    visible_fields(out, h, true);
    visible_fields(out, h, false);
    key(out, "waf", false);
    json_str(out, lab_waf_name(p));
    key(out, "hostile", false);
    json_str(out, lab_hostile_name(p->kind));
    key(out, "mitigation", false);
    json_str(out, mitigation(p));
    key(out, "tls_name", false);
    json_str(out, tls_name(h));
    key(out, "ntlm", false);
    ntlm_object(out, h);
    key(out, "quirks", false);
    quirks_array(out, h->quirks);
    key(out, "cves", false);
    cves_object(out, h);
    ex_buf_puts(out, "}\n");
}

int lab_manifest_write(const lab_fleet *f, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    ex_buf line = {0};
    int rc = 0;
    for (uint32_t i = 0; i < f->n && rc == 0; i++) {
        lab_host h;
        lab_host_get(f, i, &h);
        ex_buf_reset(&line);
        lab_manifest_line(f, &h, &line);
        if (fwrite(line.data, 1, line.len, fp) != line.len)
            rc = -1;
    }
    ex_buf_free(&line);
    if (fclose(fp) != 0)
        rc = -1;
    return rc;
}
