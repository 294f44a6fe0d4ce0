/* The lab's fleet layout (tests/lab/fleet.c) against the contract in docs/lab.md:
 * every persona in any 2,000 consecutive addresses of the default mix, about
 * 10 % tarpits with tarpit10, determinism per seed, and host details that match
 * Microsoft's supportability matrix (Exchange 2019 on Windows Server 2019/2022,
 * 2016 on 2012 R2/2016, 2010 on 2008 R2; remote-detection.md §7.5). */
#include "t.h"

#include "../lab/builds.c"
#include "../lab/fleet.c"

static lab_fleet make(uint64_t seed, uint32_t n, const char *mix)
{
    lab_fleet f = {.seed = seed, .base = 0x7f010000u, .n = n, .mix = mix};
    if (lab_fleet_init(&f, mix, NULL) != 0)
        t_fail(__FILE__, __LINE__, "fleet init failed for mix %s", mix);
    return f;
}

TEST(persona_names_are_unique)
{
    CHECK_INT(lab_personas_init(), 0);
    CHECK(lab_npersonas > 200);
    for (size_t i = 0; i < lab_npersonas; i++)
        for (size_t j = i + 1; j < lab_npersonas; j++)
            if (strcmp(lab_personas[i].name, lab_personas[j].name) == 0)
                t_fail(__FILE__, __LINE__, "duplicate persona %s", lab_personas[i].name);
    CHECK(lab_persona_by_name("e2016-cu19-feb21su-cuonly") != NULL);
}

static void check_window(const lab_fleet *f, uint32_t start, uint32_t len)
{
    static unsigned char seen[65536];
    memset(seen, 0, lab_npersonas);
    for (uint32_t i = start; i < start + len; i++)
        seen[f->assign[i]] = 1;
    for (size_t p = 0; p < lab_npersonas; p++)
        if (!seen[p])
            t_fail(__FILE__, __LINE__, "persona %s missing from addresses %u..%u", lab_personas[p].name, start,
                   start + len - 1);
}

TEST(every_persona_in_any_2000_addresses)
{
    uint64_t seeds[] = {1, 42, 0xdeadbeef};
    for (size_t s = 0; s < EX_ARRAY_LEN(seeds); s++) {
        lab_fleet f = make(seeds[s], 8000, "default");
        uint32_t starts[] = {0, 1, 333, 999, 1000, 2718, 5999};
        for (size_t k = 0; k < EX_ARRAY_LEN(starts); k++)
            check_window(&f, starts[k], 2000);
        free(f.assign);
    }
}

TEST(tarpit10_has_about_ten_percent_tarpits)
{
    lab_fleet f = make(5, 65536, "tarpit10");
    size_t tarpits = 0;
    for (uint32_t i = 0; i < f.n; i++)
        tarpits += lab_personas[f.assign[i]].kind == LAB_K_TARPIT;
    double share = (double)tarpits / f.n;
    if (share < 0.095 || share > 0.11)
        t_fail(__FILE__, __LINE__, "tarpit share %.4f", share);
    free(f.assign);
    lab_fleet d = make(5, 65536, "default");
    tarpits = 0;
    for (uint32_t i = 0; i < d.n; i++)
        tarpits += lab_personas[d.assign[i]].kind == LAB_K_TARPIT;
    CHECK(tarpits > 0 && (double)tarpits / d.n < 0.01);
    free(d.assign);
}

TEST(exchange_only_and_only_mixes)
{
    lab_fleet f = make(9, 3000, "exchange-only");
    for (uint32_t i = 0; i < f.n; i++)
        if (lab_personas[f.assign[i]].kind != LAB_K_EXCHANGE)
            t_fail(__FILE__, __LINE__, "host %u is %s", i, lab_personas[f.assign[i]].name);
    free(f.assign);
    lab_fleet o = make(9, 50, "only:tarpit,e2019-cu9");
    for (uint32_t i = 0; i < o.n; i++) {
        const char *n = lab_personas[o.assign[i]].name;
        CHECK(strcmp(n, "tarpit") == 0 || strcmp(n, "e2019-cu9") == 0);
    }
    free(o.assign);
    lab_fleet bad = {.seed = 1, .base = 0x7f010000u, .n = 10};
    CHECK_INT(lab_fleet_init(&bad, "no-such-mix", NULL), -2);
    free(bad.assign);
}

TEST(same_seed_same_fleet)
{
    lab_fleet a = make(77, 4000, "default"), b = make(77, 4000, "default"), c = make(78, 4000, "default");
    size_t same = 0;
    CHECK(memcmp(a.assign, b.assign, 4000 * sizeof *a.assign) == 0);
    for (uint32_t i = 0; i < 4000; i++)
        same += a.assign[i] == c.assign[i];
    CHECK(same < 400); /* another seed is another fleet */
    lab_host h1, h2;
    lab_host_get(&a, 123, &h1);
    lab_host_get(&b, 123, &h2);
    CHECK_STR(h1.fqdn, h2.fqdn);
    CHECK_STR(h1.pubkey_token, h2.pubkey_token);
    free(a.assign);
    free(b.assign);
    free(c.assign);
}

TEST(host_details_follow_the_supportability_matrix)
{
    lab_fleet f = make(3, 6000, "default");
    for (uint32_t i = 0; i < f.n; i++) {
        lab_host h;
        lab_host_get(&f, i, &h);
        CHECK(strlen(h.netbios_domain) <= 15 && strlen(h.computer) <= 15);
        CHECK_INT(h.addr, 0x7f010000u + i);
        if (h.persona->kind != LAB_K_EXCHANGE)
            continue;
        unsigned b = h.os->build;
        switch (h.persona->build->product) {
        case LAB_P2010: CHECK_INT(b, 7601); break;
        case LAB_P2016: CHECK(b == 9600 || b == 14393); break;
        case LAB_P2019: CHECK(b == 17763 || b == 20348); break;
        case LAB_PSE: CHECK(b == 17763 || b == 20348 || b == 26100); break;
        default: CHECK(b == 7601 || b == 9200 || b == 9600); break;
        }
    }
    free(f.assign);
}

TEST(fleet_index_stays_in_range)
{
    lab_fleet f = make(1, 100, "default");
    CHECK_INT(lab_fleet_index(&f, 0x7f010000u), 0);
    CHECK_INT(lab_fleet_index(&f, 0x7f010063u), 99);
    CHECK_INT(lab_fleet_index(&f, 0x7f010064u), -1);
    CHECK_INT(lab_fleet_index(&f, 0x7f00ffffu), -1);
    free(f.assign);
}
