#include "t_inv.h"

#include <stdio.h>
#include <stdlib.h>

char *t_temp_db(char *buf, size_t n)
{
    char dir[] = "/tmp/exaudit-inv-test.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    snprintf(buf, n, "%s/inv.db", dir);
    return buf;
}

void t_push_finding(ex_findings *l, ex_kind kind, ex_severity sev, const char *cve, const char *path, int64_t time,
                    const char *title)
{
    ex_finding f;
    ex_finding_init(&f);
    f.kind = kind;
    f.severity = sev;
    f.time = time;
    ex_finding_setz(&f.id, "test");
    ex_finding_setz(&f.cve, cve);
    ex_finding_setz(&f.title, title);
    ex_finding_setz(&f.ev.path, path);
    ex_findings_push(l, &f);
}
