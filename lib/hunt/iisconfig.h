/* iisconfig: IIS applicationHost.config read with expat, for two things
 * (../shared/docs/ioc-hunting.md §1.4, §4; logs-and-builds.md §2.3):
 *
 *   - virtual directories whose physicalPath points into ProgramData or Users:
 *     ProxyShell attackers added such directories (C:\ProgramData\COM, WHO,
 *     ZING, ZOO, XYZ, AUX, CON; C:\Users\All Users\...) to serve web shells
 *     from outside the Exchange folders; findings of kind persistence;
 *   - Extended Protection: extendedProtection@tokenChecking of
 *     system.webServer/security/authentication/windowsAuthentication, per
 *     <location path="site/vdir">, compared with what HealthChecker expects
 *     for each Exchange virtual directory of the front end (Default Web Site)
 *     and back end (Exchange Back End). The state is "on" (every Exchange
 *     virtual directory at or above the expected value), "off" (none has any
 *     Extended Protection) or "partial"; it feeds the CVE-2024-21410 status
 *     (fact "config.extended-protection").
 *
 * Values inherit as IIS does: a location's value applies below it; without
 * one, the value outside any location; without that, None. */
#ifndef EXAUDIT_HUNT_IISCONFIG_H
#define EXAUDIT_HUNT_IISCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

#define EX_IISCFG_MAX_VDIRS     4096
#define EX_IISCFG_MAX_LOCATIONS 4096

typedef enum ex_ep_token { EX_EP_NONE = 0, EX_EP_ALLOW, EX_EP_REQUIRE } ex_ep_token;

typedef struct ex_iis_vdir {
    char *site;          /* "Default Web Site" */
    char *url;           /* "/owa", "/aspnet_client" (application path + virtual directory path) */
    char *physical_path; /* as written, "%ExchangeInstallDir%FrontEnd\HttpProxy\owa" */
    int64_t line;
} ex_iis_vdir;

typedef struct ex_iis_location {
    char *path; /* "Default Web Site/owa"; "" for the settings outside any location */
    ex_ep_token token;
    int64_t line;
} ex_iis_location;

typedef struct ex_iiscfg {
    ex_iis_vdir *vdirs;
    size_t nvdirs;
    ex_iis_location *locs; /* only locations that set tokenChecking */
    size_t nlocs;
    bool cut; /* more entries than the limits: the rest was not read */
} ex_iiscfg;

/* Parse an applicationHost.config. 0, or -1 with the reason in err (not
 * well-formed XML: what was read before the error is kept). */
int ex_iiscfg_parse(const char *data, size_t len, ex_iiscfg *cfg, char *err, size_t errlen);
void ex_iiscfg_free(ex_iiscfg *cfg);

/* The effective tokenChecking of "site/vdir" (inheritance as above). */
ex_ep_token ex_iiscfg_token(const ex_iiscfg *cfg, const char *site_vdir);

/* Extended Protection against HealthChecker's expectations: "on", "off",
 * "partial", or NULL when the file holds none of Exchange's virtual
 * directories. detail receives the virtual directories below expectation
 * ("Default Web Site/owa None (expected Require); ..."). */
const char *ex_iiscfg_ep_state(const ex_iiscfg *cfg, char *detail, size_t n);

/* Findings: virtual directories into ProgramData or Users, and one info
 * finding that states the Extended Protection state. path is the evidence
 * path of the file, mtime its time. */
int ex_iiscfg_findings(const ex_iiscfg *cfg, const char *path, int64_t mtime, ex_findings *out);

#endif
