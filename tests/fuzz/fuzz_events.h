/* What the event-log harnesses share: every event read goes through the rules. */
#ifndef EXAUDIT_FUZZ_EVENTS_H
#define EXAUDIT_FUZZ_EVENTS_H

#include "hunt/event.h"

static void fuzz_on_event(void *ctx, const ex_event *ev, const ex_event_where *w)
{
    ex_findings out = {0};
    (void)ctx;
    (void)ex_event_check(ev, w, &out);
    ex_findings_free(&out);
}

#endif
