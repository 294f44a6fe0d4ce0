#!/usr/bin/env python3
"""Compare `exaudit hunt --json` with the ground truth mkevidence wrote
(docs/evidence.md). Prints "ok - ..." / "not ok - ..." lines for tests/run.sh.

Rules, from the contract in docs/evidence.md:
  - every `expected` entry is reported: same kind, CVE, file and line (or EVTX
    record, or the file itself), the same time when the truth gives one, and a
    severity within [min_severity, max_severity];
  - more findings are allowed only at severity info, or as further lines of
    the same attack (a kind and CVE that the truth lists for this scenario);
  - never a finding above info on a benign look-alike line or file;
  - nothing above info in the clean scenario.
Exposure findings (the installed build's CVEs, configuration) are not about
compromise: they are checked against the truth's build instead (docs/hunt.md,
"Exposure is not compromise").
Also: the install root and build, log coverage per log directory, and the
first and last malicious activity.
"""
import json
import re
import sys

SEV = {"info": 0, "medium": 1, "high": 2, "critical": 3}
results = []


def check(name, cond, detail=""):
    results.append((bool(cond), name, detail))


def record_of(f):
    m = re.search(r"record (\d+)", f.get("title") or "")
    return int(m.group(1)) if m else None


def at(f, e):
    """Does finding f sit where truth entry e points?"""
    ev = f["evidence"]
    if ev["path"] != e["path"]:
        return False
    if e.get("line") is not None:
        return ev["line"] == e["line"]
    if e.get("record") is not None:
        r = record_of(f)
        return r == e["record"] or (r is None and e.get("time") and f.get("time") == e["time"])
    return True


def matches(f, e):
    if f["kind"] != e["kind"] or f.get("cve") != e.get("cve") or not at(f, e):
        return False
    if e.get("time") and f.get("time") and f["time"] != e["time"]:
        return False
    if SEV[f["severity"]] < SEV[e.get("min_severity") or "info"]:
        return False
    if e.get("max_severity") and SEV[f["severity"]] > SEV[e["max_severity"]]:
        return False
    if e.get("sha256") and f["evidence"].get("sha256") != e["sha256"]:
        return False
    return True


def main():
    truth = json.load(open(sys.argv[1]))
    lines = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
    label = sys.argv[3] if len(sys.argv) > 3 else truth["scenario"]
    summary = lines[-1]
    findings = lines[:-1]
    check(f"{label}: summary object last", summary.get("schema") == "exaudit.hunt-summary/1")
    attack = [f for f in findings if f["kind"] != "exposure"]
    listed = truth["expected"] + truth.get("context", [])

    # install
    inst = summary["install"]
    check(f"{label}: install root found", inst["root"] == truth["install_root"], f"{inst['root']} vs {truth['install_root']}")
    installed = truth.get("patched_build") or truth["build"]
    check(f"{label}: installed build from ExSetup.exe", inst["build"] == installed, f"{inst['build']} vs {installed}")

    # every expected finding
    for e in truth["expected"]:
        where = f"{e['path'].split('/')[-1]}:{e.get('line') or e.get('record') or ''}"
        hit = any(matches(f, e) for f in findings)
        near = [f"{f['kind']}/{f.get('cve')}/{f['severity']}/{f.get('time')}" for f in findings if at(f, e)]
        check(f"{label}: expected {e['kind']} {e.get('cve') or ''} at {where}", hit,
              f"want min {e.get('min_severity')} time {e.get('time')}; at that place: {near}")

    # nothing extra above info, except further lines of the same attack
    kinds = {(e["kind"], e.get("cve")) for e in listed}

    def explained(f):
        if (f["kind"], f.get("cve")) in kinds:
            return True
        for e in listed:
            # a listed file may be attributed to a CVE by one of several rules that flag it
            whole_file = e.get("line") is None and e.get("record") is None
            if at(f, e) and f["kind"] == e["kind"] and (whole_file or f.get("cve") == e.get("cve")):
                return True
        return False

    extra = [f for f in attack if SEV[f["severity"]] > 0 and not explained(f)]
    check(f"{label}: no finding above info outside the attack", not extra,
          "; ".join(f"{f['id']} {f['kind']} {f.get('cve')} {f['evidence']['path']}:{f['evidence']['line']}" for f in extra[:8]))

    # benign look-alikes
    bad = []
    for b in truth.get("benign", []):
        for f in attack:
            if SEV[f["severity"]] == 0 or f["evidence"]["path"] != b["path"]:
                continue
            if b.get("line") is not None and f["evidence"]["line"] == b["line"]:
                bad.append(f)
            elif b.get("line") is None and not any(e["path"] == b["path"] for e in listed):
                bad.append(f)
    check(f"{label}: benign look-alikes not flagged", not bad,
          "; ".join(f"{f['id']} {f['evidence']['path']}:{f['evidence']['line']}" for f in bad[:8]))

    if truth["scenario"] == "clean":
        above = [f for f in attack if SEV[f["severity"]] > 0]
        check(f"{label}: clean tree, no compromise finding above info", not above,
              "; ".join(f"{f['id']} {f['evidence']['path']}:{f['evidence']['line']}" for f in above[:8]))
        check(f"{label}: clean tree, exit code says nothing found", not summary["compromise_or_attempt"])

    # coverage: per log directory, oldest and newest entry
    cov = {c["logdir"]: c for c in summary["coverage"]}
    for d, span in truth.get("log_coverage", {}).items():
        low = d.lower()
        if low.endswith(".evtx") or low.endswith(".xml"):
            # one event log (or its XML export): the channel's coverage
            base = d.split("/")[-1].rsplit(".", 1)[0]
            c = next((cov[k] for k in cov if k.split("/")[-1] == base), None)
        elif low.endswith(".csv"):
            # an EvtxECmd export holds every channel: the union of the event logs' coverage
            ev = [cov[k] for k in cov if k.startswith("EventLog/")]
            c = {"first": min(x["first"] for x in ev), "last": max(x["last"] for x in ev)} if ev else None
        else:
            c = cov.get(d)
        check(f"{label}: coverage of {d}", c and c["first"] == span["first"] and c["last"] == span["last"],
              f"got {c and (c['first'], c['last'])} want {(span['first'], span['last'])}")

    # timeline
    tl = summary["timeline"]
    if truth.get("first_malicious"):
        check(f"{label}: first malicious activity", tl["first_malicious"] == truth["first_malicious"],
              f"{tl['first_malicious']} vs {truth['first_malicious']}")
        check(f"{label}: last malicious activity", tl["last_malicious"] == truth["last_malicious"],
              f"{tl['last_malicious']} vs {truth['last_malicious']}")

    for ok, name, detail in results:
        print(("ok - " if ok else "not ok - ") + name)
        if not ok and detail:
            print("#   " + detail[:1500])


if __name__ == "__main__":
    main()
