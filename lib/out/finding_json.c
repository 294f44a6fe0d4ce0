#include "finding_json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"


json_t *ex_json_string_lossy(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    ex_buf b = {0};
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = ex_utf8_len(p + i, n - i);
        if (k) {
            ex_buf_append(&b, p + i, k);
            i += k;
        } else {
            ex_buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    json_t *j = json_stringn(b.data ? b.data : "", b.len);
    ex_buf_free(&b);
    return j;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? ex_json_string_lossy(v) : json_null());
}

static json_t *time_json(int64_t t)
{
    if (t == EX_TIME_UNKNOWN)
        return json_null();
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

json_t *ex_finding_to_json(const ex_finding *f)
{
    json_t *o = json_object(), *ev = json_object(), *rule = json_object();
    json_object_set_new(o, "severity", json_string(ex_severity_name(f->severity)));
    json_object_set_new(o, "kind", json_string(ex_kind_name(f->kind)));
    set_str(o, "id", f->id);
    set_str(o, "cve", f->cve);
    set_str(o, "title", f->title);
    set_str(o, "subject", f->subject);
    json_object_set_new(o, "time", time_json(f->time));
    set_str(ev, "path", f->ev.path);
    json_object_set_new(ev, "line", f->ev.line >= 0 ? json_integer(f->ev.line) : json_null());
    json_object_set_new(ev, "offset", f->ev.offset >= 0 ? json_integer(f->ev.offset) : json_null());
    set_str(ev, "match", f->ev.match);
    json_object_set_new(ev, "sha256", f->ev.sha256[0] ? json_string(f->ev.sha256) : json_null());
    json_object_set_new(o, "evidence", ev);
    set_str(rule, "name", f->rule);
    set_str(rule, "source", f->rule_source);
    set_str(rule, "author", f->rule_author);
    set_str(rule, "reference", f->rule_ref);
    json_object_set_new(o, "rule", rule);
    return o;
}

static const char *get_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return EX_TIME_UNKNOWN;
    return (int64_t)timegm(&tm);
}

int ex_finding_from_json(const json_t *j, ex_finding *f)
{
    ex_finding_init(f);
    if (!json_is_object(j))
        return -1;
    int sev = ex_severity_from_name(get_str(j, "severity")), kind = ex_kind_from_name(get_str(j, "kind"));
    if (sev < 0 || kind < 0)
        return -1;
    const json_t *ev = json_object_get(j, "evidence"), *rule = json_object_get(j, "rule");
    f->severity = (ex_severity)sev;
    f->kind = (ex_kind)kind;
    f->time = parse_time(get_str(j, "time"));
    int r = ex_finding_setz(&f->id, get_str(j, "id")) | ex_finding_setz(&f->cve, get_str(j, "cve")) |
            ex_finding_setz(&f->title, get_str(j, "title")) | ex_finding_setz(&f->subject, get_str(j, "subject")) |
            ex_finding_setz(&f->ev.path, get_str(ev, "path")) | ex_finding_setz(&f->ev.match, get_str(ev, "match")) |
            ex_finding_setz(&f->rule, get_str(rule, "name")) |
            ex_finding_setz(&f->rule_source, get_str(rule, "source")) |
            ex_finding_setz(&f->rule_author, get_str(rule, "author")) |
            ex_finding_setz(&f->rule_ref, get_str(rule, "reference"));
    const json_t *line = json_object_get(ev, "line"), *off = json_object_get(ev, "offset");
    f->ev.line = json_is_integer(line) ? json_integer_value(line) : -1;
    f->ev.offset = json_is_integer(off) ? json_integer_value(off) : -1;
    const char *sha = get_str(ev, "sha256");
    if (sha && strlen(sha) == 64)
        memcpy(f->ev.sha256, sha, 65);
    if (r) {
        ex_finding_free(f);
        return -1;
    }
    return 0;
}
