/* analyzer: the contract between the hunt engine (lib/hunt/hunt.c, the
 * evidence sources) and one analyzer per artifact (httpproxy, ecp, oab, iis,
 * evtx, files, ...). zmap-style: an analyzer is a small table of functions.
 *
 * The engine walks the evidence (directory tree, triage zip, single file),
 * asks every analyzer whether it wants each file (by path, cheaply), then
 * streams the file's bytes once to all analyzers that want it, hashing them
 * (SHA-256) on the way. Analyzers never open evidence themselves: the engine
 * opens read-only, without touching access times, and bounds everything.
 *
 * Analyzers keep their record logic pure: bytes in, findings out. They may be
 * called from several worker threads at once, for different files; state
 * lives in what begin() returns. */
#ifndef EXAUDIT_HUNT_ANALYZER_H
#define EXAUDIT_HUNT_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"

typedef struct ex_hunt ex_hunt; /* one hunt run (engine-owned) */

/* A file of the evidence. */
typedef struct ex_hunt_file {
    /* Evidence path, normalised: '/' separators, a drive as "C:/", Velociraptor
     * and KAPE encodings decoded ("uploads/auto/C%3A/x" -> "C:/x"), original
     * case kept. Match it case-insensitively (Windows paths). */
    const char *path;
    /* The same path relative to the Exchange install root
     * ("Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"), or NULL when the
     * file is outside it. */
    const char *install_rel;
    const char *display; /* how to show it to the user (real path or "zip!entry") */
    uint64_t size;
    int64_t mtime; /* Unix seconds, or EX_TIME_UNKNOWN */
} ex_hunt_file;

enum {
    /* feed() receives whole lines: every chunk ends right after a '\n' (or at
     * end of file). A line longer than EX_HUNT_LINE_MAX is cut, reported once
     * per file through ex_hunt_skip(), and the rest of the file is still read. */
    EX_AN_LINES = 1u << 0,
    /* The analyzer needs the file as one piece (YARA, EVTX, PE version): it
     * gets whole() instead of feed(), with the content in memory when the file
     * is at most EX_HUNT_WHOLE_MAX, and a path that path-based libraries
     * (libevtx, libregf) can open. Larger files are skipped and counted. */
    EX_AN_WHOLE = 1u << 1,
    /* end() needs the file's SHA-256 even for a file read only as lines.
     * Without it (and when no EX_AN_WHOLE analyzer reads the file), end() may
     * get "" for a file of a directory source: log files are hashed only when
     * a finding cites them, which the engine does by itself (findings on the
     * file always get the hash). Added compatibly: the flag is new, and
     * EX_AN_WHOLE analyzers always get the hash. */
    EX_AN_HASH = 1u << 2,
};

#define EX_HUNT_LINE_MAX  (1u << 20)
#define EX_HUNT_WHOLE_MAX (64u << 20)

typedef struct ex_analyzer {
    const char *name; /* "httpproxy", "iis", "evtx", "files", ... */
    unsigned flags;
    /* Does this analyzer read f? Decide by path only; must be cheap. */
    bool (*wants)(const ex_hunt *h, const ex_hunt_file *f);
    /* Per-file state, or NULL on allocation failure (the file is skipped and counted). */
    void *(*begin)(ex_hunt *h, const ex_hunt_file *f);
    /* Streaming analyzers: the next bytes of the file; offset is that of data[0]. */
    int (*feed)(void *state, const char *data, size_t len, uint64_t offset);
    /* EX_AN_WHOLE analyzers: the whole file. local_path may be a /proc/self/fd
     * path of an in-memory copy (zip sources); it is read-only. */
    int (*whole)(void *state, const unsigned char *data, size_t len, const char *local_path);
    /* End of file: sha256 is the hash of every byte of the file ("" when the
     * file could not be read to its end, or see EX_AN_HASH). Emit what is
     * left and free the state. */
    void (*end)(void *state, ex_hunt *h, const char *sha256);
    /* After every file: cross-file conclusions (attempt vs success, timeline). Optional. */
    void (*finish)(ex_hunt *h);
} ex_analyzer;

/* --- what analyzers may call (implemented by the engine, thread-safe) --- */

/* Hand a finding to the run (ownership moves; *f is re-initialised). When
 * f->ev.path is the current file and f->ev.sha256 is empty, the engine fills
 * in that file's SHA-256 once the file has been read. */
void ex_hunt_emit(ex_hunt *h, ex_finding *f);
/* Log coverage: a log directory (relative to the install root, e.g.
 * "Logging/HttpProxy/Owa") holds entries from first to last (Unix seconds). */
void ex_hunt_cover(ex_hunt *h, const char *logdir, int64_t first, int64_t last);
/* Something was not (fully) read: counted and reported, never silent. */
void ex_hunt_skip(ex_hunt *h, const ex_hunt_file *f, const char *reason);
/* A dated fact for the timeline, e.g. "patch.installed" with the time a fixed
 * ExSetup.exe was written, or "install.build" with the build as detail.
 * Keys the engine reads (lib/hunt/timeline.c); time may be EX_TIME_UNKNOWN:
 *   "install.build"              detail: the exact build ("15.1.2176.2") from
 *                                Bin/ExSetup.exe's version resource; wins over the hive
 *   "patch.installed"            time: when the installed (fixed) build's files were
 *                                written; detail: the build
 *   "config.extended-protection" detail: "on" or "off" (applicationHost.config);
 *                                one "off" is enough for off
 * The engine itself adds "hive.build", "hive.install-path" and "hive.update"
 * (an Exchange update under Uninstall, time = its key's last write). */
void ex_hunt_fact(ex_hunt *h, const char *key, int64_t time, const char *detail, const char *evidence_path);

/* State shared across files for the whole run, by key: cross-file
 * conclusions of one analyzer, or a store two analyzers agree on. The first
 * call with a key calls create() (once, under a lock); destroy (may be NULL)
 * runs when the run is freed. Locking inside the state is the caller's
 * business. NULL when create failed. (Added compatibly after the first
 * engine commit.) */
void *ex_hunt_shared(ex_hunt *h, const char *key, void *(*create)(void), void (*destroy)(void *));

/* The Exchange install root inside the evidence ("C:/Program Files/Microsoft/Exchange Server/V15"), or NULL. */
const char *ex_hunt_install_root(const ex_hunt *h);
/* True when --full was given: the files analyzer walks the whole tree. */
bool ex_hunt_full(const ex_hunt *h);

#endif
