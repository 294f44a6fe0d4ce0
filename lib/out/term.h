/* term: terminal facts. Colour only on a TTY and never when NO_COLOR is set
 * (https://no-color.org/). */
#ifndef EXAUDIT_TERM_H
#define EXAUDIT_TERM_H

#include <stdbool.h>
#include <stdio.h>

bool ex_use_color(FILE *f);

#define EX_C_RED    "\033[31m"
#define EX_C_YELLOW "\033[33m"
#define EX_C_GREEN  "\033[32m"
#define EX_C_CYAN   "\033[36m"
#define EX_C_GREY   "\033[90m"
#define EX_C_BOLD   "\033[1m"
#define EX_C_RESET  "\033[0m"

#endif
