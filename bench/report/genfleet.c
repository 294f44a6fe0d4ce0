/* genfleet: an inventory of N hosts with R scan runs of history and hunts on
 * one host in a hundred, written through the store API exactly as `exaudit
 * scan --db` / `exaudit hunt --db` will write it (one transaction per host).
 * Builds are real rows of the knowledge base; between runs a host may be
 * updated (about one in five per run). Deterministic for a given N and R.
 *   genfleet DB N RUNS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "kb.h"
#include "out/store.h"
#include "util.h"

#define NBUILDS 48

typedef struct build_rec {
    ex_facts facts;
    json_t *record;
} build_rec;

static unsigned mix(unsigned x)
{
    x ^= x >> 16, x *= 0x7feb352dU, x ^= x >> 15, x *= 0x846ca68bU, x ^= x >> 16;
    return x;
}

static int pick_builds(const ex_kb *kb, build_rec *out)
{
    int n = 0;
    size_t step = kb->nbuilds / NBUILDS ? kb->nbuilds / NBUILDS : 1;
    for (size_t i = kb->nbuilds - 1; n < NBUILDS && i < kb->nbuilds; i -= step) {
        ex_facts *f = &out[n].facts;
        *f = (ex_facts){.have_version = true,
                        .version = kb->builds[i].version,
                        .today = ex_today_days(),
                        .version_evidence = "X-OWA-Version"};
        if (n % 6 == 5)
            f->version.revision = -1; /* some servers show only the CU */
        ex_assessment a;
        if (ex_assess(kb, f, &a) != 0)
            return -1;
        out[n].record = ex_host_json(&a);
        ex_assessment_free(&a);
        n++;
        if (i < step)
            break;
    }
    return n;
}

static long import_customers(ex_store *s, int hosts)
{
    ex_buf csv = {0};
    char err[256];
    ex_buf_puts(&csv, "target,customer,tags\n");
    for (int i = 0; i < hosts; i++)
        ex_buf_printf(&csv, "h%06d.example,customer-%03d,%s\n", i, i % 200, i % 3 ? "prod" : "prod;dmz");
    long n = ex_store_import_csv(s, csv.data, csv.len, err, sizeof err);
    ex_buf_free(&csv);
    return n;
}

static void add_hunt(ex_store *s, int64_t run, const char *target, int i)
{
    ex_findings l = {0};
    ex_finding f;
    ex_finding_init(&f);
    f.kind = i % 2 ? EX_KIND_WEBSHELL : EX_KIND_ATTEMPT;
    f.severity = i % 2 ? EX_SEV_CRITICAL : EX_SEV_HIGH;
    f.time = 1614754182;
    ex_finding_setz(&f.id, "bench");
    ex_finding_setz(&f.cve, "CVE-2021-26855");
    ex_finding_setz(&f.title, "benchmark finding");
    ex_finding_setz(&f.ev.path, "C:/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/x.LOG");
    ex_findings_push(&l, &f);
    ex_store_put_hunt(s, run, target, &l, NULL, NULL);
    ex_findings_free(&l);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: genfleet DB HOSTS RUNS\n");
        return 2;
    }
    int hosts = atoi(argv[2]), runs = atoi(argv[3]);
    char err[256];
    ex_store *s = ex_store_open(argv[1], err, sizeof err);
    build_rec builds[NBUILDS];
    int nb = s ? pick_builds(ex_kb_builtin(), builds) : -1;
    if (nb <= 0 || import_customers(s, hosts) != hosts) {
        fprintf(stderr, "genfleet: %s\n", s ? ex_store_errmsg(s) : err);
        return 3;
    }
    for (int r = 0; r < runs; r++) {
        int64_t run = ex_store_begin_run(s, "scan", NULL);
        for (int i = 0; i < hosts; i++) {
            char target[32];
            snprintf(target, sizeof target, "h%06d.example", i);
            /* The build moves on for about one host in five per run. */
            unsigned b = (mix((unsigned)i) + (unsigned)(r * (mix((unsigned)i * 7u) % 5 == 0))) % (unsigned)nb;
            json_t *rec = json_copy(builds[b].record);
            json_object_set_new(rec, "target", json_string(target));
            json_object_set_new(rec, "exchange", json_string("onprem"));
            json_object_set_new(rec, "probes", json_pack("[{s:s, s:i}]", "name", "owa-logon", "status", 200));
            if (ex_store_put_host(s, run, target, rec, &builds[b].facts, NULL) != 0) {
                fprintf(stderr, "genfleet: %s\n", ex_store_errmsg(s));
                return 3;
            }
            json_decref(rec);
        }
        ex_store_end_run(s, run, "done");
        if (r == runs - 2 || runs == 1) {
            int64_t hunt = ex_store_begin_run(s, "hunt", NULL);
            for (int i = 0; i < hosts; i += 100) {
                char target[32];
                snprintf(target, sizeof target, "h%06d.example", i);
                add_hunt(s, hunt, target, i / 100);
            }
            ex_store_end_run(s, hunt, "done");
        }
    }
    for (int i = 0; i < nb; i++)
        json_decref(builds[i].record);
    ex_store_close(s);
    return 0;
}
