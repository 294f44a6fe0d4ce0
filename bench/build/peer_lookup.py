#!/usr/bin/env python3
"""Peer for bench/build: the same question answered the way the popular
scripts answer it, in the language they are written in.

For each build: the dict lookup of righel/ms-exchange-version-nse and owa_info
(exact match, else walk the revision down: "guesstimate", remote-detection.md
§1.4/§3.1), then a per-CVE decision with CSS-Exchange HealthChecker's rule
(Test-ExchangeBuildGreaterOrEqualThanSecurityPatch, logs-and-builds.md §5.1)
over the same CVE table exaudit compiles in. No update path, no support
status, no wording: less work than `exaudit build`, so a lower bound for a peer.
Reads builds from stdin, prints one line per build."""
import sys
from collections import defaultdict

def parse(s):
    p = s.strip().split(".")
    if len(p) not in (3, 4) or not all(x.isdigit() for x in p):
        return None
    return tuple(int(x) for x in p)

def load_builds(path):
    table = {}
    with open(path) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            table.setdefault(parse(p[4]), (p[0], p[1], p[2], p[3]))
    return table

def load_fixes(path):
    fixes = defaultdict(list)
    with open(path) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            fixes[p[0]].append(parse(p[5]))
    return fixes

def name(table, v):
    if len(v) == 3:
        for k, row in table.items():
            if k[:3] == v:
                return row, "cu"
        return None, "cu"
    for r in range(v[3], -1, -1):
        row = table.get(v[:3] + (r,))
        if row:
            return row, "su" if r == v[3] else "approx"
    return None, "none"

def status(fixed_builds, v):
    same_line = [f for f in fixed_builds if f[:2] == v[:2]]
    if not same_line:
        return None
    newest = max(same_line)
    full = v if len(v) == 4 else v + (0,)
    if full >= newest:
        return "patched"
    own = [f for f in same_line if f[:3] == v[:3]]
    if not own:
        return "vulnerable"
    if len(v) == 3:
        return "possibly"
    return "patched" if full >= own[0] else "vulnerable"

def main():
    table = load_builds(sys.argv[1])
    fixes = load_fixes(sys.argv[2])
    out = []
    for line in sys.stdin:
        v = parse(line)
        if v is None:
            out.append("error")
            continue
        row, prec = name(table, v)
        st = {c: status(f, v) for c, f in fixes.items()}
        out.append("%s %s %d" % (prec, row, sum(1 for s in st.values() if s == "vulnerable")))
    sys.stdout.write("\n".join(out) + "\n")

main()
