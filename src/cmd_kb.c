/* exaudit kb: show the knowledge base in use, or install a newer bundle. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kb.h"
#include "util.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit kb [--data DIR]\n"
                 "       exaudit kb update [--data DIR] FILE|URL\n\n"
                 "Without arguments: show the data version and date in use and where it comes from.\n"
                 "update: verify a knowledge-base bundle and install it atomically into the data\n"
                 "directory (--data DIR, else $XDG_DATA_HOME/exaudit). A bundle older than the one\n"
                 "in use, or one that fails its checksum or validation, is refused and changes nothing.\n"
                 "URL: https:// (or http:// and file://), at most 16 MiB, 60 s.\n");
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    ex_buf *b = ud;
    return ex_buf_append(b, p, size * n) == 0 ? size * n : 0; /* 0 aborts past the cap */
}

static char *fetch_url(const char *url, size_t *len, char *err, size_t errlen)
{
    ex_buf b = {.max = EX_KB_BUNDLE_MAX};
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http,file");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)EX_KB_BUNDLE_MAX);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "exaudit/" EXAUDIT_VERSION " (kb update)");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
        ex_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return ex_buf_steal(&b);
}

static int show(const char *data_dir)
{
    const ex_kb *kb = ex_cli_kb(data_dir);
    printf("knowledge base %s (%s), from %s\n", kb->version, kb->date, kb->origin);
    printf("  %zu builds, %zu CVEs in %zu fix rows, %zu products with end-of-life data\n", kb->nbuilds, kb->ncves,
           kb->nfixes, kb->neol);
    printf("  built-in: %s (%s)\n", ex_kb_builtin()->version, ex_kb_builtin()->date);
    if (fflush(stdout) != 0)
        return ex_runtime_error("kb", "cannot write the output");
    return EXIT_NOTHING_FOUND;
}

static int update(const char *data_dir, const char *src)
{
    char err[512], msg[1024];
    size_t len = 0;
    char *text = strstr(src, "://") ? fetch_url(src, &len, err, sizeof err)
                                    : ex_read_file(src, EX_KB_BUNDLE_MAX, &len, err, sizeof err);
    if (!text)
        return ex_runtime_error("kb", "%s: %s; nothing changed", src, err);
    const ex_kb *current = ex_cli_kb(data_dir);
    int rc = ex_kb_install(data_dir, text, len, current, msg, sizeof msg);
    free(text);
    if (rc != 0)
        return ex_runtime_error("kb", "%s", msg);
    printf("%s\n", msg);
    return EXIT_NOTHING_FOUND;
}

int cmd_kb(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *data_dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': data_dir = optarg; break;
        case 'h': usage(stdout); return EXIT_NOTHING_FOUND;
        default: return ex_usage_error("kb", "unknown option");
        }
    }
    if (optind == argc)
        return show(data_dir);
    if (!strcmp(argv[optind], "update") && optind + 2 == argc)
        return update(data_dir, argv[optind + 1]);
    return ex_usage_error("kb", "expected no arguments, or: update FILE|URL");
}
