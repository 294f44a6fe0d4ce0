/* explain: see explain.h. The templates are the msgids of the translation
 * catalogues (po/de.po, po/en.po): change a sentence here and `scripts/update-po.sh`
 * carries it to the catalogues. */
#include "explain.h"

#include <string.h>

#define N_(s) (s)

static const ex_explain_entry table[] = {
    /* why the build alone has its status (lib/verdict.c describe()) */
    {"above-newest", N_("{build} is at or above the newest fixed build {fix}")},
    {"own-cu-fixed", N_("{build} >= first fixed build {fix}")},
    {"own-cu-maybe", N_("possibly vulnerable: {cu} (build {build}); builds below {fix} are vulnerable")},
    {"own-cu-below", N_("{build} < first fixed build {fix}")},
    {"unknown-cu", N_("{build} is not a known CU; fixed builds run up to {fix}")},
    {"no-fix-for-cu", N_("no fix was released for {cu}; first fixed build of a later CU: {fix}")},
    {"no-build", N_("no build number could be seen")},
    /* configuration-dependent CVEs; {prior} is the build sentence */
    {"config-on", N_("{prior}; setting is on: {setting}")},
    {"config-off", N_("{prior}, but the setting is off: {setting}")},
    {"config-unknown", N_("depends on configuration: {setting} (the build supports it: {prior})")},
    /* behavioural probes; {status} is what the build alone says */
    {"probe-positive", N_("behavioural probe confirmed it (build alone: {status})")},
    {"probe-positive-against", N_("behavioural probe confirmed it, against the build inference ({prior})")},
    {"probe-mitigated", N_("URL-rewrite mitigation aborts the trigger (build alone: {status}; {prior})")},
    {"probe-negative-conflict",
     N_("build says vulnerable ({prior}) but the probe did not trigger it: a proxy may filter the trigger")},
    {"probe-negative", N_("behavioural probe answered without the vulnerable behaviour (build alone: {status})")},
    /* remediation steps (lib/verdict.c remediation()) */
    {"install-cu", N_("install {product} {cu} ({kb})")},
    {"install-su", N_("install the newest security update for {cu}: {update}, build {build}")},
    {"install-su-esu", N_("install the newest security update for {cu}: {update}, build {build} (released to "
                          "Extended Security Update customers only)")},
    {"ensure-su", N_("make sure of the newest security update for {cu}: {update}, build {build}")},
    {"ensure-su-esu", N_("make sure of the newest security update for {cu}: {update}, build {build} (released to "
                         "Extended Security Update customers only)")},
    {"turn-on", N_("turn on: {setting} ({cve}, {family})")},
    {"eol-2019", N_("support ended {end}: upgrade in place to Exchange Server SE (from 2019 CU14 or CU15) and keep "
                    "it on the newest SE update")},
    {"eol-2016", N_("support ended {end}: move to Exchange Server SE (new servers, move mailboxes; in-place upgrade "
                    "needs 2019 CU14/CU15)")},
    {"eol-other", N_("support ended {end}: no security updates any more; migrate to Exchange Server SE through a "
                     "supported intermediate version")},
    {"update-kb", N_("update exaudit's knowledge base ('exaudit kb update'): the server is newer than the data")},
};

const ex_explain_entry *ex_explain_table(size_t *count)
{
    *count = sizeof table / sizeof table[0];
    return table;
}

const char *ex_explain_template(const char *code)
{
    for (size_t i = 0; code && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].tmpl;
    return NULL;
}

static const char *slot_value(const ex_explain_arg *args, size_t nargs, const char *name, size_t len)
{
    for (size_t i = 0; i < nargs; i++)
        if (args[i].name && strlen(args[i].name) == len && strncmp(args[i].name, name, len) == 0)
            return args[i].value ? args[i].value : "";
    return "";
}

/* Append n bytes to out, counting what would have been written. */
static void put(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
    if (*pos < outlen) {
        size_t room = outlen - 1 - *pos, c = n < room ? n : room;
        memcpy(out + *pos, s, c);
        out[*pos + c] = '\0';
    }
    *pos += n;
}

size_t ex_explain_fill(const char *tmpl, const ex_explain_arg *args, size_t nargs, ex_explain_value_fn fn, char *out,
                       size_t outlen)
{
    size_t pos = 0;
    if (outlen)
        out[0] = '\0';
    for (const char *p = tmpl; p && *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            put(out, outlen, &pos, p, strlen(p));
            break;
        }
        put(out, outlen, &pos, p, (size_t)(open - p));
        char name[32];
        size_t len = (size_t)(close - open - 1);
        const char *v = slot_value(args, nargs, open + 1, len);
        if (fn && len < sizeof name) {
            memcpy(name, open + 1, len);
            name[len] = '\0';
            v = fn(name, v);
        }
        put(out, outlen, &pos, v, strlen(v));
        p = close + 1;
    }
    if (outlen && pos >= outlen)
        out[outlen - 1] = '\0';
    return pos;
}
