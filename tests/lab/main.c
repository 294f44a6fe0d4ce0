/* exaudit-lab: command line (docs/lab.md). Exit codes: 0 clean stop, 2 usage,
 * 3 runtime error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "server.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit-lab [--hosts N] [--base 127.1.0.0] [--port P] [--seed S] [--mix NAME]\n"
                 "                   [--manifest FILE] [--ready-file FILE] [--threads N]\n"
                 "                   [--single ADDR --persona NAME] [--list-personas]\n"
                 "  --mix  default | tarpit10 | exchange-only | only:NAME[,NAME...]\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !*s || *end || v > max || *s == '-')
        return -1;
    *out = v;
    return 0;
}

static int list_personas(void)
{
    if (lab_personas_init() != 0)
        return 3;
    for (size_t i = 0; i < lab_npersonas; i++) {
        char d[256];
        const lab_persona *p = &lab_personas[i];
        printf("%s\t%s\t%s\n", p->name, lab_exchange_class(p), lab_persona_describe(p, d, sizeof d));
    }
    return 0;
}

static int write_ready(const char *path, int port)
{
    char tmp[4096], buf[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int n = snprintf(buf, sizeof buf, "%d\n", port);
    return ex_write_file_atomic(tmp, path, buf, (size_t)n);
}

typedef struct options {
    uint64_t hosts, seed, port, threads;
    const char *base, *mix, *manifest, *ready, *single, *persona;
    bool list;
} options;

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"hosts", required_argument, 0, 'n'},
        {"base", required_argument, 0, 'b'},
        {"port", required_argument, 0, 'p'},
        {"seed", required_argument, 0, 's'},
        {"mix", required_argument, 0, 'm'},
        {"manifest", required_argument, 0, 'M'},
        {"ready-file", required_argument, 0, 'r'},
        {"single", required_argument, 0, 'S'},
        {"persona", required_argument, 0, 'P'},
        {"list-personas", no_argument, 0, 'l'},
        {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    *o = (options){.hosts = 256, .seed = 1, .threads = 1, .base = "127.1.0.0", .mix = "default"};
    int ch, which = 0;
    while ((ch = getopt_long(argc, argv, "", longopts, &which)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'n': bad = parse_u64(optarg, 65536, &o->hosts) || o->hosts == 0; break;
        case 'b': o->base = optarg; break;
        case 'p': bad = parse_u64(optarg, 65535, &o->port); break;
        case 's': bad = parse_u64(optarg, UINT64_MAX, &o->seed); break;
        case 'm': o->mix = optarg; break;
        case 'M': o->manifest = optarg; break;
        case 'r': o->ready = optarg; break;
        case 'S': o->single = optarg; break;
        case 'P': o->persona = optarg; break;
        case 'l': o->list = true; break;
        case 't': bad = parse_u64(optarg, 16, &o->threads) || o->threads == 0; break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
        if (bad) {
            fprintf(stderr, "exaudit-lab: bad value for --%s: %s\n", longopts[which].name, optarg);
            return -1;
        }
    }
    if (optind != argc || (!o->single != !o->persona)) {
        fprintf(stderr, "exaudit-lab: --single and --persona go together\n");
        return -1;
    }
    return 0;
}

/* Fill the fleet's address range from the options; loopback only. */
static int fleet_range(const options *o, lab_fleet *f, uint32_t *bind_addr)
{
    uint32_t base;
    if (lab_parse_ipv4(o->single ? o->single : o->base, &base) != 0) {
        fprintf(stderr, "exaudit-lab: not an IPv4 address: %s\n", o->single ? o->single : o->base);
        return -1;
    }
    f->base = base;
    f->n = o->single ? 1 : (uint32_t)o->hosts;
    uint64_t last = (uint64_t)base + f->n - 1;
    if ((base >> 24) != 127 || (last >> 24) != 127) {
        fprintf(stderr, "exaudit-lab: the fleet must stay inside 127.0.0.0/8\n");
        return -1;
    }
    *bind_addr = o->single ? base : 0;
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    if (o.list)
        return list_personas();
    lab_fleet *f = &lab_the_fleet;
    uint32_t bind_addr;
    f->seed = o.seed;
    f->mix = o.mix;
    f->single = o.single != NULL;
    if (fleet_range(&o, f, &bind_addr) != 0)
        return 2;
    int rc = lab_fleet_init(f, o.mix, o.persona);
    if (rc == -2) {
        fprintf(stderr, "exaudit-lab: unknown %s: %s\n", o.persona ? "persona" : "mix", o.persona ? o.persona : o.mix);
        return 2;
    }
    if (rc != 0)
        return 3;
    lab_raise_nofile();
    lab_listen_opts lo = {.bind_addr = bind_addr, .port = (int)o.port, .threads = (unsigned)o.threads};
    f->port = lab_server_listen(&lo);
    if (f->port < 0)
        return 3;
    printf("port %d\n", f->port);
    fflush(stdout);
    if (o.manifest && lab_manifest_write(f, o.manifest) != 0) {
        fprintf(stderr, "exaudit-lab: cannot write %s: %s\n", o.manifest, strerror(errno));
        return 3;
    }
    if (o.ready && write_ready(o.ready, f->port) != 0) {
        fprintf(stderr, "exaudit-lab: cannot write %s: %s\n", o.ready, strerror(errno));
        return 3;
    }
    rc = lab_server_run(f);
    free(f->assign);
    free(lab_personas);
    return rc == 0 ? 0 : 3;
}
