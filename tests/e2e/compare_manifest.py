#!/usr/bin/env python3
"""Compare `exaudit scan --json` output with the lab's manifest (docs/lab.md).

usage: compare_manifest.py MANIFEST SCAN.jsonl MODE
  MODE active  : against visible_build, precision and "expect"
  MODE passive : against visible_build_passive, precision_passive and "expect_passive"

Every field the manifest states about what a scanner observes is compared as
written, with no correction of the oracle:
  exchange        the scan's "exchange"
  visible build   the scan's build.version (null when the scan has no build)
  precision       the scan's build.precision ("none" when the scan has no build)
  waf             the scan's waf.id (null when none)
  tls_name        the scan's tls.certificate.subject_cn (null when no certificate)
  ntlm            the scan's ntlm names and OS version (null when no NTLM answer)
  cves            each modelled CVE's status (absent when expected null); a host whose
                  manifest has no CVEs must have none in the scan
  hostile         a hostile host ends with errors
The other fields are ground truth no scanner observes (true_build, product,
mitigation, quirks, cves.*.truth) and are not compared.
Prints one line per disagreement ("DIFF ip persona field: got X, expected Y"),
then "agree N/M hosts"; exits 1 on any disagreement.
"""
import json
import sys

NTLM_FIELDS = ("netbios_domain", "netbios_computer", "dns_domain", "dns_computer", "os_version")


def load_scan(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line:
            d = json.loads(line)
            out[(d["target"], d["port"])] = d
    return out


def scan_ntlm(d):
    n = d.get("ntlm")
    return {k: n.get(k) for k in NTLM_FIELDS} if n else None


def compare_host(m, d, mode):
    """Disagreements of one host, as (field, got, expected)."""
    passive = mode == "passive"
    build = d.get("build")
    cert = (d.get("tls") or {}).get("certificate") or {}
    got_cves = {c["id"]: c["status"] for c in d.get("cves", [])}
    pairs = [
        ("exchange", d["exchange"], m["exchange"]),
        ("build", build["version"] if build else None, m["visible_build_passive" if passive else "visible_build"]),
        ("precision", build["precision"] if build else "none", m["precision_passive" if passive else "precision"]),
        ("waf", (d.get("waf") or {}).get("id"), m["waf"]),
        ("tls_name", cert.get("subject_cn"), m["tls_name"]),
        ("ntlm", scan_ntlm(d), m["ntlm"]),
    ]
    key = "expect_passive" if passive else "expect"
    pairs += [(cve, got_cves.get(cve), exp[key]) for cve, exp in m["cves"].items()]
    if not m["cves"]:
        pairs.append(("cves", sorted(got_cves), []))
    if m["hostile"]:
        pairs.append(("hostile error present", bool(d.get("errors")), True))
    return [p for p in pairs if p[1] != p[2]]


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("active", "passive"):
        sys.exit(__doc__.split("\n\n")[1])
    manifest, scan_path, mode = sys.argv[1:4]
    scans = load_scan(scan_path)
    hosts = [json.loads(line) for line in open(manifest)]
    agree = 0
    for m in hosts:
        where = "%s %s" % (m["ip"], m["persona"])
        d = scans.get((m["ip"], m["port"]))
        if d is None:
            print("DIFF %s missing from the scan output" % where)
            continue
        diffs = compare_host(m, d, mode)
        for field, got, exp in diffs:
            print("DIFF %s %s: got %r, expected %r" % (where, field, got, exp))
        agree += not diffs
    print("agree %d/%d hosts" % (agree, len(hosts)))
    return 0 if agree == len(hosts) else 1


if __name__ == "__main__":
    sys.exit(main())
