/* exaudit: dispatch to one file per subcommand. No logic lives here. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const ex_command commands[] = {
    {"build", cmd_build, "what a build number is, and what it is exposed to"},
    {"kb", cmd_kb, "show or update the knowledge base"},
    {"scan", cmd_scan, "find Exchange servers, their build and exposure, with safe remote probes"},
    {"hunt", cmd_hunt, "hunt for compromise in the logs and files of an Exchange server"},
    {"hosts", cmd_hosts, "the fleet: list, add, import, tag, remove hosts"},
    {"record", cmd_record, "record scan or hunt results (JSON) into the inventory"},
    {"rescore", cmd_rescore, "re-evaluate the stored builds against the knowledge base"},
    {"diff", cmd_diff, "what changed between two runs"},
    {"report", cmd_report, "customer report: HTML, Markdown, CSV or JSON"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit <command> [options] [arguments]\n\n"
                 "Which build, what exposure, whether compromised, what to do: for Microsoft Exchange servers.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'exaudit <command> --help' describes a command; 'man exaudit' has the details.\n"
                 "Exit codes: 0 nothing found, 1 vulnerable or compromised found, 2 usage error, 3 runtime error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_NOTHING_FOUND;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("exaudit %s\n", EXAUDIT_VERSION);
        return EXIT_NOTHING_FOUND;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "exaudit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
