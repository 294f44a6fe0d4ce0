/* hunt_report: see hunt_report.h. */
#include "out/hunt_report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "out/finding_json.h"
#include "out/summary.h"
#include "out/term.h"
#include "util.h"

bool ex_hunt_found_attack(const ex_hunt *h)
{
    const ex_findings *l = ex_hunt_findings(h);
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].kind != EX_KIND_EXPOSURE && l->items[i].severity > EX_SEV_INFO)
            return true;
    return false;
}

static const char *sev_color(ex_severity s, bool color)
{
    if (!color)
        return "";
    switch (s) {
    case EX_SEV_CRITICAL: return EX_C_BOLD EX_C_RED;
    case EX_SEV_HIGH: return EX_C_RED;
    case EX_SEV_MEDIUM: return EX_C_YELLOW;
    default: return EX_C_GREY;
    }
}

/* Evidence text on one terminal line: control bytes shown as '.', cut at max. */
static void print_clean(FILE *out, const char *s, size_t max)
{
    size_t n = 0;
    for (; s && *s && n < max; s++, n++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '.' : *s, out);
    if (s && *s)
        fputs("...", out);
}

static void print_finding(FILE *out, const ex_finding *f, bool color)
{
    char t[32];
    ex_hunt_fmt_time(f->time, t, sizeof t);
    fprintf(out, "  %s%-8s%s %-20s %s  %s\n", sev_color(f->severity, color), ex_severity_name(f->severity),
            color ? EX_C_RESET : "", ex_kind_name(f->kind), t, f->title ? f->title : f->id);
    if (f->ev.path) {
        fputs("           ", out);
        print_clean(out, f->ev.path, 200);
        if (f->ev.line >= 0)
            fprintf(out, ":%" PRId64, f->ev.line);
        fputc('\n', out);
    }
    if (f->ev.match) {
        fputs("           ", out);
        print_clean(out, f->ev.match, 160);
        fputc('\n', out);
    }
    fprintf(out, "           %s%s%s", f->id ? f->id : "", f->cve ? " " : "", f->cve ? f->cve : "");
    /* signature-base's DRL 1.1: messages based on matches keep the rule's author and link */
    if (f->rule_author) {
        fputs("  author: ", out);
        print_clean(out, f->rule_author, 120);
    }
    if (f->rule_ref) {
        fputs("  reference: ", out);
        print_clean(out, f->rule_ref, 200);
    }
    fputc('\n', out);
}

/* Per-CVE exposure of the installed build is summarised by the assessment
 * above (one line per family); the list keeps what the evidence itself shows. */
static bool listed(const ex_finding *f)
{
    return !(f->kind == EX_KIND_EXPOSURE && f->id && strncmp(f->id, "cve.", 4) == 0);
}

static void print_findings(FILE *out, const ex_hunt *h, const ex_hunt_report_opts *o)
{
    const ex_findings *l = ex_hunt_findings(h);
    size_t by[4] = {0}, cves = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (listed(&l->items[i]))
            by[l->items[i].severity & 3]++;
        else
            cves++;
    }
    fprintf(out, "Findings: %zu critical, %zu high, %zu medium, %zu info", by[EX_SEV_CRITICAL], by[EX_SEV_HIGH],
            by[EX_SEV_MEDIUM], by[EX_SEV_INFO]);
    if (cves)
        fprintf(out, " (and %zu CVEs the installed build is exposed to, summarised above)", cves);
    fputc('\n', out);
    size_t max = o->max_listed ? o->max_listed : 40, shown = 0, listable = 0;
    for (int sev = EX_SEV_CRITICAL; sev >= (o->verbose ? EX_SEV_INFO : EX_SEV_MEDIUM); sev--)
        for (size_t i = 0; i < l->count; i++) {
            const ex_finding *f = &l->items[i];
            if ((int)f->severity != sev || !listed(f))
                continue;
            listable++;
            if (o->verbose || shown < max) {
                print_finding(out, f, o->color);
                shown++;
            }
        }
    if (shown < listable)
        fprintf(out, "  ... %zu more (use --json or --verbose)\n", listable - shown);
}

static void print_install(FILE *out, const ex_hunt *h, const ex_hunt_report_opts *o)
{
    const ex_hunt_install *in = ex_hunt_install_info(h);
    if (in->root)
        fprintf(out, "Install:  %s (%s)\n", in->root[0] ? in->root : "(the evidence top)", in->root_how);
    else
        fprintf(out, "Install:  not found (no hive MsiInstallPath, default path or Logging layout); "
                     "give --exchange-root\n");
    if (!in->build) {
        fprintf(out, "Build:    not found (no Bin/ExSetup.exe version, no SOFTWARE hive)\n");
        return;
    }
    char head[600];
    int n = snprintf(head, sizeof head, "Build:    %s (%s", in->build, in->build_how);
    if (in->build_conflict && n > 0 && (size_t)n < sizeof head)
        n += snprintf(head + n, sizeof head - (size_t)n, "; the hive says %s", in->hive_build);
    if (n > 0 && (size_t)n < sizeof head)
        snprintf(head + n, sizeof head - (size_t)n, ")");
    const ex_assessment *a = ex_hunt_assessment(h);
    if (a) {
        ex_summary_opts so = {.color = o->color, .verbose = o->verbose};
        ex_print_assessment(out, head, a, &so);
    } else {
        fprintf(out, "%s\n", head);
    }
}

static void print_timeline(FILE *out, const ex_hunt *h)
{
    const ex_hunt_timeline *t = ex_hunt_timeline_info(h);
    char a[32], b[32], c[32], d[32];
    ex_hunt_fmt_time(t->first_malicious, a, sizeof a);
    ex_hunt_fmt_time(t->last_malicious, b, sizeof b);
    ex_hunt_fmt_time(t->patch_installed, c, sizeof c);
    fprintf(out, "Timeline:\n");
    fprintf(out, "  malicious activity: %s", t->attacks ? a : "none dated");
    if (t->attacks)
        fprintf(out, " .. %s (%zu findings)", b, t->attacks);
    fprintf(out, "\n  fix installed:      %s%s%s%s\n", c, t->patch_how ? " (" : "", t->patch_how ? t->patch_how : "",
            t->patch_how ? ")" : "");
    if (t->exposed_from != EX_TIME_UNKNOWN) {
        ex_hunt_fmt_time(t->exposed_to, d, sizeof d);
        ex_hunt_fmt_time(t->exposed_from, a, sizeof a);
        fprintf(out, "  exposure window:    %s .. %s\n", a,
                t->exposed_to == EX_TIME_UNKNOWN ? "still open (no fix installed)" : d);
    }
    fprintf(out, "  exploitable while attacks were seen: %s (%s)\n", t->exploitable_during_attacks, t->basis);
}

static void print_day(FILE *out, int64_t t)
{
    char buf[32];
    ex_hunt_fmt_time(t, buf, sizeof buf);
    buf[10] = '\0';
    fputs(buf, out);
}

static void print_coverage(FILE *out, const ex_hunt *h)
{
    size_t n = ex_hunt_coverage_count(h);
    fprintf(out, "Log coverage:%s\n", n ? "" : " no dated log entry read");
    bool weak = false;
    for (size_t i = 0; i < n; i++) {
        const ex_hunt_coverage *c = ex_hunt_coverage_at(h, i);
        fprintf(out, "  %-40s ", c->logdir);
        print_day(out, c->first);
        fputs(" .. ", out);
        print_day(out, c->last);
        fprintf(out, "  %" PRIu64 " files", c->files);
        if (c->ngaps) {
            fprintf(out, ", %zu gaps (first ", c->ngaps);
            print_day(out, c->gaps[0].from);
            fputs(" .. ", out);
            print_day(out, c->gaps[0].to);
            fputc(')', out);
        }
        fputs(c->reaches ? "\n" : "  [does not reach 2021-01-01]\n", out);
        weak |= !c->reaches;
    }
    if (!n || weak)
        fprintf(out, "  Where the logs do not reach back to 2021-01-01 (CISA AA21-062A), \"nothing found\" is weak "
                     "evidence for ProxyLogon.\n");
}

static void print_skips(FILE *out, const ex_hunt *h, bool verbose)
{
    size_t n = ex_hunt_skip_count(h);
    if (!n)
        return;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ex_hunt_skip_at(h, i)->count;
    fprintf(out, "Not (fully) read: %" PRIu64 "\n", total);
    size_t max = verbose ? n : (n < 15 ? n : 15);
    for (size_t i = 0; i < max; i++) {
        const ex_hunt_skip_rec *s = ex_hunt_skip_at(h, i);
        fputs("  ", out);
        print_clean(out, s->path, 160);
        fprintf(out, ": %s", s->reason);
        if (s->count > 1)
            fprintf(out, " (x%" PRIu64 ")", s->count);
        fputc('\n', out);
    }
    if (max < n)
        fprintf(out, "  ... %zu more (use --verbose or --json)\n", n - max);
}

void ex_hunt_print_summary(FILE *out, const ex_hunt *h, const ex_hunt_report_opts *o)
{
    const ex_hunt_stats *st = ex_hunt_stats_info(h);
    fprintf(out, "exaudit hunt: %s\n", ex_hunt_subject(h));
    print_install(out, h, o);
    print_findings(out, h, o);
    print_timeline(out, h);
    print_coverage(out, h);
    print_skips(out, h, o->verbose);
    double mib = (double)st->bytes_read / (1024.0 * 1024.0);
    fprintf(out, "Read: %" PRIu64 " of %" PRIu64 " files, %.1f MiB in %.2f s (%.0f MiB/s, %u threads)\n",
            st->files_read, st->files_listed, mib, st->seconds, st->seconds > 0 ? mib / st->seconds : 0.0, st->threads);
    fprintf(out, "Verdict: %s\n",
            ex_hunt_found_attack(h) ? "compromise or attempt found (exit 1)" : "no compromise or attempt found");
}

void ex_hunt_print_progress(FILE *out, const ex_hunt_progress *p)
{
    double mib = (double)p->bytes_done / (1024.0 * 1024.0), tot = (double)p->bytes_total / (1024.0 * 1024.0);
    double rate = p->seconds > 0 ? mib / p->seconds : 0;
    fprintf(out, "\r  %.0f / %.0f MiB  %" PRIu64 " / %" PRIu64 " files  %.0f MiB/s   ", mib, tot, p->files_done,
            p->files_total, rate);
    if (p->final)
        fputs("\r\033[K", out);
    fflush(out);
}

/* ------------------------------------------------------------------------ */
/* JSON summary                                                               */

static json_t *time_or_null(int64_t t)
{
    if (t == EX_TIME_UNKNOWN)
        return json_null();
    char buf[32];
    ex_hunt_fmt_time(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? ex_json_string_lossy(s) : json_null();
}

static json_t *install_json(const ex_hunt *h)
{
    const ex_hunt_install *in = ex_hunt_install_info(h);
    json_t *o = json_object();
    json_object_set_new(o, "root", str_or_null(in->root));
    json_object_set_new(o, "root_source", str_or_null(in->root_how));
    json_object_set_new(o, "build", str_or_null(in->build));
    json_object_set_new(o, "build_source", str_or_null(in->build_how));
    json_object_set_new(o, "build_path", str_or_null(in->build_path));
    json_object_set_new(o, "hive_build", str_or_null(in->build_conflict ? in->hive_build : NULL));
    return o;
}

static json_t *timeline_json(const ex_hunt *h)
{
    const ex_hunt_timeline *t = ex_hunt_timeline_info(h);
    json_t *o = json_object();
    json_object_set_new(o, "first_malicious", time_or_null(t->first_malicious));
    json_object_set_new(o, "last_malicious", time_or_null(t->last_malicious));
    json_object_set_new(o, "attack_findings", json_integer((json_int_t)t->attacks));
    json_object_set_new(o, "patch_installed", time_or_null(t->patch_installed));
    json_object_set_new(o, "patch_source", str_or_null(t->patch_how));
    json_object_set_new(o, "patch_path", str_or_null(t->patch_path));
    json_object_set_new(o, "exposed_from", time_or_null(t->exposed_from));
    json_object_set_new(o, "exposed_to", time_or_null(t->exposed_to));
    json_object_set_new(o, "exploitable_during_attacks", json_string(t->exploitable_during_attacks));
    json_object_set_new(o, "basis", ex_json_string_lossy(t->basis));
    return o;
}

static json_t *coverage_json(const ex_hunt *h)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ex_hunt_coverage_count(h); i++) {
        const ex_hunt_coverage *c = ex_hunt_coverage_at(h, i);
        json_t *o = json_object(), *gaps = json_array();
        json_object_set_new(o, "logdir", ex_json_string_lossy(c->logdir));
        json_object_set_new(o, "first", time_or_null(c->first));
        json_object_set_new(o, "last", time_or_null(c->last));
        json_object_set_new(o, "files", json_integer((json_int_t)c->files));
        for (size_t k = 0; k < c->ngaps; k++)
            json_array_append_new(gaps, json_pack("{s:o, s:o}", "from", time_or_null(c->gaps[k].from), "to",
                                                  time_or_null(c->gaps[k].to)));
        json_object_set_new(o, "gaps", gaps);
        json_object_set_new(o, "reaches_2021_01_01", json_boolean(c->reaches));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *skips_json(const ex_hunt *h)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ex_hunt_skip_count(h); i++) {
        const ex_hunt_skip_rec *s = ex_hunt_skip_at(h, i);
        json_array_append_new(a, json_pack("{s:o, s:o, s:I}", "path", ex_json_string_lossy(s->path), "reason",
                                           ex_json_string_lossy(s->reason), "count", (json_int_t)s->count));
    }
    return a;
}

static json_t *facts_json(const ex_hunt *h)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ex_hunt_fact_count(h); i++) {
        const ex_hunt_fact_rec *f = ex_hunt_fact_at(h, i);
        json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o}", "key", ex_json_string_lossy(f->key), "time",
                                           time_or_null(f->time), "detail", str_or_null(f->detail), "path",
                                           str_or_null(f->path)));
    }
    return a;
}

static json_t *counts_json(const ex_hunt *h)
{
    const ex_findings *l = ex_hunt_findings(h);
    size_t by[4] = {0};
    for (size_t i = 0; i < l->count; i++)
        by[l->items[i].severity & 3]++;
    return json_pack("{s:I, s:I, s:I, s:I}", "critical", (json_int_t)by[EX_SEV_CRITICAL], "high",
                     (json_int_t)by[EX_SEV_HIGH], "medium", (json_int_t)by[EX_SEV_MEDIUM], "info",
                     (json_int_t)by[EX_SEV_INFO]);
}

json_t *ex_hunt_summary_json(const ex_hunt *h)
{
    const ex_hunt_stats *st = ex_hunt_stats_info(h);
    const ex_assessment *a = ex_hunt_assessment(h);
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(EX_HUNT_SUMMARY_SCHEMA));
    json_object_set_new(o, "subject", ex_json_string_lossy(ex_hunt_subject(h)));
    json_object_set_new(o, "compromise_or_attempt", json_boolean(ex_hunt_found_attack(h)));
    json_object_set_new(o, "findings", counts_json(h));
    json_object_set_new(o, "install", install_json(h));
    json_object_set_new(o, "assessment", a ? ex_host_json(a) : json_null());
    json_object_set_new(o, "timeline", timeline_json(h));
    json_object_set_new(o, "coverage", coverage_json(h));
    json_object_set_new(o, "skipped", skips_json(h));
    json_object_set_new(o, "facts", facts_json(h));
    json_object_set_new(o, "stats",
                        json_pack("{s:I, s:I, s:I, s:f, s:i}", "files_listed", (json_int_t)st->files_listed,
                                  "files_read", (json_int_t)st->files_read, "bytes_read", (json_int_t)st->bytes_read,
                                  "seconds", st->seconds, "threads", (int)st->threads));
    return o;
}

/* ------------------------------------------------------------------------ */
/* Timesketch CSV                                                             */

/* One RFC 4180 field: quoted when it holds a separator, quote or line break;
 * invalid UTF-8 replaced (Timesketch reads UTF-8). */
static void csv_field(FILE *out, const char *s, bool last)
{
    json_t *j = ex_json_string_lossy(s ? s : "");
    const char *v = json_string_value(j);
    bool quote = strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
    fputc(last ? '\n' : ',', out);
    json_decref(j);
}

static const char *const csv_columns[] = {
    "message", "datetime",    "timestamp_desc", "timestamp",   "severity",      "kind",
    "id",      "cve",         "path",           "line",        "sha256",        "match",
    "rule",    "rule_source", "subject",        "rule_author", "rule_reference"};

static void csv_row(FILE *out, const char *const *v)
{
    for (size_t i = 0; i < EX_ARRAY_LEN(csv_columns); i++)
        csv_field(out, v[i], i + 1 == EX_ARRAY_LEN(csv_columns));
}

static void csv_finding(FILE *out, const ex_finding *f)
{
    char dt[32], ts[32], line[32];
    ex_hunt_fmt_time(f->time, dt, sizeof dt);
    snprintf(ts, sizeof ts, "%" PRId64 "000000", f->time);
    snprintf(line, sizeof line, "%" PRId64, f->ev.line);
    const char *v[] = {f->title ? f->title : f->id,
                       dt,
                       "Evidence time",
                       ts,
                       ex_severity_name(f->severity),
                       ex_kind_name(f->kind),
                       f->id,
                       f->cve,
                       f->ev.path,
                       f->ev.line >= 0 ? line : "",
                       f->ev.sha256,
                       f->ev.match,
                       f->rule,
                       f->rule_source,
                       f->subject,
                       f->rule_author,
                       f->rule_ref};
    csv_row(out, v);
}

static void csv_event(FILE *out, const ex_hunt *h, int64_t t, const char *message, const char *desc, const char *id,
                      const char *path, const char *match)
{
    if (t == EX_TIME_UNKNOWN)
        return;
    char dt[32], ts[32];
    ex_hunt_fmt_time(t, dt, sizeof dt);
    snprintf(ts, sizeof ts, "%" PRId64 "000000", t);
    const char *v[] = {
        message, dt, desc, ts, "info", "", id, "", path, "", "", match, "", "exaudit hunt", ex_hunt_subject(h), "", ""};
    csv_row(out, v);
}

int ex_hunt_write_timeline_csv(FILE *out, const ex_hunt *h)
{
    for (size_t i = 0; i < EX_ARRAY_LEN(csv_columns); i++)
        csv_field(out, csv_columns[i], i + 1 == EX_ARRAY_LEN(csv_columns));
    const ex_findings *l = ex_hunt_findings(h);
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].time != EX_TIME_UNKNOWN)
            csv_finding(out, &l->items[i]);
    const ex_hunt_timeline *t = ex_hunt_timeline_info(h);
    char msg[600];
    snprintf(msg, sizeof msg, "Fix installed (%s)", t->patch_how ? t->patch_how : "");
    csv_event(out, h, t->patch_installed, msg, "Patch installed", "hunt.patch-installed", t->patch_path, NULL);
    for (size_t i = 0; i < ex_hunt_fact_count(h); i++) {
        const ex_hunt_fact_rec *f = ex_hunt_fact_at(h, i);
        snprintf(msg, sizeof msg, "%s: %s", f->key, f->detail ? f->detail : "");
        csv_event(out, h, f->time, msg, "Fact time", f->key, f->path, f->detail);
    }
    return ferror(out) ? -1 : 0;
}
