/* report_text: the human text of a report that the HTML and Markdown writers
 * share, as a list of blocks (language through gettext):
 *   {"t": "h2"|"h3"|"p"|"warn"|"note", "s": text}
 *   {"t": "ul", "items": [text...]}
 *   {"t": "kv", "items": [[label, value]...]}
 *   {"t": "fill", "s": label}   a field the controller must fill in */
#ifndef EXAUDIT_REPORT_TEXT_H
#define EXAUDIT_REPORT_TEXT_H

#include <jansson.h>

#include "out/report.h"

/* The GDPR Art. 33 section: the draft, or why no draft is given. */
json_t *ex_report_gdpr_blocks(const ex_report *r);
/* The methods appendix. */
json_t *ex_report_methods_blocks(const ex_report *r);
/* One of the three most urgent actions, as a sentence. */
char *ex_report_action_text(const json_t *action);
/* The exposure window and log coverage of a server, as blocks. */
json_t *ex_report_exposure_blocks(const json_t *host);
/* What the update path says when an assessment has no remediation step: with
 * no build (or a build the knowledge base cannot judge) nothing is known, which
 * is not the same as "no update needed". */
const char *ex_report_no_update_text(const json_t *assessment);
/* "name (state)" list of at most max names from a JSON array, "and N more". */
char *ex_report_name_list(const json_t *names, size_t max);

#endif
