#!/usr/bin/env python3
"""Expectations of tests/e2e/test_inventory_live.sh, from independent sources only:
the lab's manifests (docs/lab.md: what a scanner must report, taken as written, as
compare_manifest.py does), mkevidence's ground truth, the reference build table
(../shared/reference/exchange-builds.tsv) and the support dates of
../shared/docs/README.md. Never from exaudit's output.

  inventory_live.py pick MANIFEST BUILD REFERENCE_DIR
      A vulnerable on-premises host to hunt and to look for in the report: one
      that shows BUILD exactly (the build of mkevidence's scenario) with
      CVE-2021-26855 expected vulnerable, else any such host of that product
      line below its newest CU. Prints: ip, NTLM DNS computer name, product,
      the KB of the product's newest CU (the first step of its update path),
      and the first build that fixes CVE-2021-26855 for the host's CU with its
      KB (exchange-cve-fixes.tsv, exchange-builds.tsv).

  inventory_live.py diff MANIFEST_A MANIFEST_B PORT DIFF.jsonl
      Compares `exaudit diff --json` with the changes the two manifests imply
      when the verdicts are computed from the lab's modelled CVEs only (the
      inventory is rescored against a knowledge base restricted to them):
      new-host, gone, unreachable, newly-vulnerable, patched, build-changed,
      now-end-of-life and new-cve. Prints MISSING/UNEXPECTED lines and a
      summary with the count of each kind; exits 1 on any disagreement.
Tarpits are left out: the test does not scan them.
"""
import json
import os
import sys

# ../shared/docs/README.md, "Support lifecycle": 2010 ended 2020-10-13, 2013 on
# 2023-04-11, 2016 and 2019 on 2025-10-14; SE is supported (the test fixes
# EXAUDIT_TODAY=2026-09-01).
ENDED = {"2010", "2013", "2016", "2019"}
REF_PRODUCT = {"2010": "Exchange Server 2010", "2013": "Exchange Server 2013", "2016": "Exchange Server 2016",
               "2019": "Exchange Server 2019", "SE": "Exchange Server SE"}


def key(ip, port):
    return ip if int(port) == 443 else "%s:%s" % (ip, port)


def load(path):
    """The manifest's hosts, tarpits left out (not scanned: they only cost time)."""
    hosts = [json.loads(line) for line in open(path) if line.strip()]
    return [m for m in hosts if m.get("hostile") != "tarpit"]


def state(m):
    statuses = {cve: c.get("expect") for cve, c in m["cves"].items()}
    build = m["visible_build"] if m["exchange"] == "onprem" else None
    return {
        "reachable": not (m["exchange"] == "unknown" and m.get("hostile")),
        "build": build,
        "vulnerable": "vulnerable" in statuses.values(),
        "open": bool({"vulnerable", "possibly"} & set(statuses.values())),
        "ended": bool(build) and m.get("product") in ENDED,
        "vulnerable_cves": {c for c, s in statuses.items() if s == "vulnerable"},
    }


def expected_changes(a, b):
    exp = set()
    for t, sb in b.items():
        sa = a.get(t)
        if sa is None:
            exp.add(("new-host", t, None))
            continue
        if sa["reachable"] and not sb["reachable"]:
            exp.add(("unreachable", t, None))
            continue
        if not sb["reachable"]:
            continue
        if sb["vulnerable"] and not sa["vulnerable"]:
            exp.add(("newly-vulnerable", t, None))
        if sa["open"] and not sb["open"] and sb["build"]:
            exp.add(("patched", t, None))
        if sa["build"] and sb["build"] and sa["build"] != sb["build"]:
            exp.add(("build-changed", t, "%s -> %s" % (sa["build"], sb["build"])))
        if sb["ended"] and not sa["ended"]:
            exp.add(("now-end-of-life", t, None))
        for cve in sb["vulnerable_cves"] - sa["vulnerable_cves"]:
            exp.add(("new-cve", t, cve))
    for t in a:
        if t not in b:
            exp.add(("gone", t, None))
    return exp


def actual_changes(path):
    got, hunts = set(), []
    for line in open(path):
        if not line.strip():
            continue
        d = json.loads(line)
        c = d["change"]
        if c == "hunt-finding":
            hunts.append(d)
            continue
        extra = None
        if c == "new-cve":
            extra = d["detail"]
        elif c == "build-changed":
            extra = "%s -> %s" % (d["before"], d["after"])
        got.add((c, d["target"], extra))
    return got, hunts


def cmd_diff(ma, mb, port, diff_path):
    a = {key(m["ip"], port): state(m) for m in load(ma)}
    b = {key(m["ip"], port): state(m) for m in load(mb)}
    exp = expected_changes(a, b)
    got, hunts = actual_changes(diff_path)
    for c in sorted(exp - got, key=str):
        print("MISSING %s %s %s" % c)
    for c in sorted(got - exp, key=str):
        print("UNEXPECTED %s %s %s" % c)
    kinds = {}
    for c in exp:
        kinds[c[0]] = kinds.get(c[0], 0) + 1
    print("hunt-finding targets: %s" % " ".join(sorted({h["target"] for h in hunts})))
    print("expected %d changes (%s), %d found, %d missing, %d unexpected" % (
        len(exp), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(got), len(exp - got),
        len(got - exp)))
    return 0 if exp == got else 1


def tsv(path):
    rows = [line.rstrip("\n").split("\t") for line in open(path)]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:] if len(r) >= len(head)]


def build_key(b):
    return tuple(int(x) for x in b.split("."))


def newest_cu(builds, product):
    """(build, KB) of the product's newest cumulative update."""
    cus = [r for r in builds if r["product"] == REF_PRODUCT[product] and r["version_name"].startswith("CU")
           and " " not in r["version_name"] and r["kb"]]
    best = max(cus, key=lambda r: build_key(r["build_short"]), default=None)
    return (best["build_short"], best["kb"]) if best else None


def proxylogon_fix(builds, fixes, product, build):
    """(first fixed build, KB) of CVE-2021-26855 for the CU of build."""
    row = next((r for r in builds if r["build_short"] == build), None)
    if not row:
        return None
    cu = row["version_name"].split(" ")[0]
    fix = next((f for f in fixes if f["cve"] == "CVE-2021-26855" and f["product"] == REF_PRODUCT[product]
                and f["cu"] == cu), None)
    kb = next((r["kb"] for r in builds if fix and r["build_short"] == fix["first_fixed_build"] and r["kb"]), None)
    return (fix["first_fixed_build"], kb) if fix and kb else None


def cmd_pick(manifest, build, refdir):
    hosts = load(manifest)
    builds = tsv(os.path.join(refdir, "exchange-builds.tsv"))
    fixes = tsv(os.path.join(refdir, "exchange-cve-fixes.tsv"))

    def ok(m):
        pl = m["cves"].get("CVE-2021-26855") or {}
        return m["exchange"] == "onprem" and m["precision"] == "su" and m.get("ntlm") and \
            pl.get("expect") == "vulnerable" and not m.get("waf") and not m.get("mitigation")

    line = ".".join(build.split(".")[:2])
    cands = [m for m in hosts if ok(m) and m["visible_build"] == build] + \
            [m for m in hosts if ok(m) and m["visible_build"].startswith(line + ".")]
    for m in cands:
        newest, fix = newest_cu(builds, m["product"]), proxylogon_fix(builds, fixes, m["product"], m["visible_build"])
        below_newest = newest and build_key(m["visible_build"])[:3] < build_key(newest[0])[:3]
        if below_newest and fix:
            print(m["ip"], m["ntlm"]["dns_computer"], m["product"], newest[1], fix[0], fix[1])
            return 0
    print("no vulnerable host of the %s line below its newest CU in %s" % (line, manifest), file=sys.stderr)
    return 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "pick":
        return cmd_pick(*sys.argv[2:5])
    if len(sys.argv) == 6 and sys.argv[1] == "diff":
        return cmd_diff(*sys.argv[2:6])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
