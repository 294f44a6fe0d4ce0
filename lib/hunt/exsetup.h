/* exsetup: the installed Exchange build from the bytes of Bin\ExSetup.exe
 * (its VS_VERSIONINFO, lib/hunt/pever.h). The analyzer "exsetup" turns it into
 * the facts "install.build" and "patch.installed". */
#ifndef EXAUDIT_HUNT_EXSETUP_H
#define EXAUDIT_HUNT_EXSETUP_H

#include <stddef.h>

/* The build as "15.1.2176.9" into build. 0, or -1 with the reason in err (not
 * a PE file, no version resource, a version no Exchange build has). note, when
 * not NULL, receives a remark when the version text disagrees with the
 * numeric block (the numeric block wins). */
int ex_exsetup_build(const unsigned char *data, size_t len, char *build, size_t n, char *note, size_t notelen,
                     char *err, size_t errlen);

#endif
