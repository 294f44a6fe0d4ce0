#!/usr/bin/env python3
"""One-off importer: ../shared/reference/*.tsv -> data/builds.tsv, data/cves.tsv.

Kept for provenance: it records every mechanical choice made when the curated
tables were first written. The curated tables in data/ are the source of truth
from then on and are edited by hand (each row keeps its source); this script is
not part of the build. See data/NOTES.md for the decisions it encodes.
"""
import csv, datetime, re, sys

REF = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"
PRODUCTS = {"Exchange Server 2010": "2010", "Exchange Server 2013": "2013",
            "Exchange Server 2016": "2016", "Exchange Server 2019": "2019",
            "Exchange Server SE": "SE"}
MONTHS = {m: i + 1 for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
SRC_LETTER = {
    "A": "microsoft/Get-ExchangeBuildNumber ExchangeBuildNumbers.csv@a2c819b",
    "B": "MicrosoftDocs build-numbers-and-release-dates.md@52e8b70f9",
    "C": "microsoft/CSS-Exchange Get-ExchangeBuildVersionInformation.ps1@f88378b1e",
}

def patch_tuesday(year, month):
    d = datetime.date(year, month, 1)
    first_tue = d + datetime.timedelta(days=(1 - d.weekday()) % 7)
    return first_tue + datetime.timedelta(days=7)

def split_name(product, name):
    """'CU19 Mar21SU' -> ('CU19', 'Mar21SU'); 2010 'SP3 RU11' -> ('SP3 RU11', '')."""
    if product == "2010":
        return name, ""
    parts = name.split(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (name, "")

def expand_source(src):
    letters, _, note = src.partition(" | ")
    names = [SRC_LETTER[l] for l in letters.strip().split("+")]
    out = "; ".join(names)
    return out + (" | " + note if note else "")

def builds():
    rows = []
    with open(f"{REF}/exchange-builds.tsv") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            prod = PRODUCTS[r["product"]]
            cu, upd = split_name(prod, r["version_name"])
            date, src = r["release_date"], expand_source(r["source"])
            m = re.match(r"([A-Z][a-z]{2})(\d\d)(SU|HU)", upd)
            if not date and m:
                d = patch_tuesday(2000 + int(m.group(2)), MONTHS[m.group(1)])
                date = d.isoformat()
                src += " | release date INFERRED: Patch Tuesday of the SU month"
            rows.append([prod, cu, upd, date, r["build_short"], r["kb"], src])
    return rows

FAMILY = {"ProxyLogon": "ProxyLogon", "ProxyShell": "ProxyShell",
          "ProxyNotShell": "ProxyNotShell",
          "OWASSRF (ProxyNotShell-bypass chain)": "OWASSRF",
          "NTLM relay / Extended Protection": "Extended Protection",
          "Serialized data signing (Nov23SU)": "Serialized data signing"}

def su_of(build, blds):
    for b in blds:
        if b[4] == build:
            return b[2] or b[1]
    return ""

def cves(blds):
    out = []
    with open(f"{REF}/exchange-cve-fixes.tsv") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            src, prod = r["source"], r["product"]
            if src.startswith("INFERRED") or prod not in PRODUCTS:
                continue   # "and later CUs" rows: verdict infers them; statement/mitigation rows: tests & scanner
            fam = FAMILY.get(r["family"], "")
            su = r["family"][:-3] if r["family"].endswith(" SU") else su_of(r["first_fixed_build"], blds)
            kind, setting, conf = "su", "", "confirmed"
            if src.startswith("CONFIG-DEPENDENT"):
                kind, setting = "config", "Extended Protection enabled on all Exchange virtual directories"
            if src.startswith("UNCERTAIN"):
                conf = "uncertain"
            cu = r["cu"].split(" ")[0]
            out.append([r["cve"], fam, su, PRODUCTS[prod], cu, r["first_fixed_build"], kind, setting, conf, src])
    return out

HC_EP = ("microsoft/CSS-Exchange HealthChecker Invoke-AnalyzerSecurityExtendedProtectionConfigState.ps1 @f88378b1e "
         "groups CVE-2024-21410 with CVE-2022-24516/-21979/-21980/-24477/-30134 (Aug22SU); same EP-capable builds "
         "($supportedVersion) as the CVE-2024-21410 rows")
HC_SDS = ("microsoft/CSS-Exchange HealthChecker Invoke-AnalyzerSecurityCveAddressedBySerializedDataSigning.ps1 @f88378b1e: "
          "'Serialized Data Signing for PowerShell payload must be enabled and have Nov23SU'; builds = Nov23SU rows of builds.tsv")
JUL21 = ("MSRC Security Update Guide CVE-2021-33766 (ProxyToken, published 2021-07-13, fixed by the July 2021 SU "
         "KB5004778/KB5004779/KB5004780); ZDI blog 'ProxyToken' 2021-08-30; not in the researched reference")

def manual(blds):
    """Rows the reference could not express as (product, CU, build) lines."""
    out = []
    ep = [r for r in open("data/kb/cves.tsv").read().splitlines() if r.startswith("CVE-2024-21410\t")]
    for cve in ("CVE-2022-21979", "CVE-2022-21980", "CVE-2022-24477", "CVE-2022-24516", "CVE-2022-30134"):
        for r in ep:
            f = r.split("\t")
            out.append([cve, "Extended Protection", "Aug22SU", f[3], f[4], f[5], "config", f[7], "confirmed", HC_EP])
    nov23 = [b for b in blds if b[2] == "Nov23SU"]
    for cve in ("CVE-2023-36035", "CVE-2023-36039", "CVE-2023-36050", "CVE-2023-36439"):
        for b in nov23:
            out.append([cve, "Serialized data signing", "Nov23SU", b[0], b[1], b[4], "config",
                        "Serialized data signing of PowerShell payloads enabled", "confirmed", HC_SDS])
    jul21 = [b for b in blds if b[2] == "Jul21SU"]
    for b in jul21:
        out.append(["CVE-2021-33766", "ProxyToken", "Jul21SU", b[0], b[1], b[4], "su", "", "external", JUL21])
    return out

def main():
    blds = builds()
    with open("data/kb/builds.tsv", "w") as f:
        f.write("product\tcu\tupdate\trelease_date\tbuild\tkb\tsource\n")
        for b in blds:
            f.write("\t".join(b) + "\n")
    with open("data/kb/cves.tsv", "w") as f:
        f.write("cve\tfamily\tupdate\tproduct\tcu\tfixed_build\tkind\tsetting\tconfidence\tsource\n")
        rows = cves(blds)
        with open("data/kb/cves.tsv", "w") as g:   # manual() reads the EP rows back
            g.write("\n".join("\t".join(c) for c in rows))
        for c in rows + manual(blds):
            f.write("\t".join(c) + "\n")

main()
