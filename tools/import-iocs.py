#!/usr/bin/env python3
"""One-off importer: ../shared/reference/iocs/*.tsv -> data/iocs/{hashes,names,paths}.tsv.

Kept for provenance, like import-reference.py: it records the mechanical choices made
when the IOC tables were first curated. The tables in data/iocs/ are the source of
truth from then on (every row keeps its source); data/iocs/README.md explains them.
Choices:
  - hashes: every sha256, sha1 and md5 row, one row per hash (the first source wins,
    the others are appended to the source column); kind from what the row describes.
  - names: web-shell file names whose source gives them as names (Microsoft's HAFNIUM
    list, ESET, Huntress, HvS, CISA, AhnLab, ProxyNotShell); the MSTIC feed's names are
    meaningful only with their folder and become paths instead.
  - paths: the MSTIC and HvS literal file paths, reduced to the part below the drive
    or the Exchange install root so that they match any install location.
  - LOKI's regex filename IOCs (signature-base, DRL) are not copied.
"""
import csv, sys

REF = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/iocs"
OUT = sys.argv[2] if len(sys.argv) > 2 else "data/iocs"


def rows(name):
    with open(f"{REF}/{name}", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def src(r, a, b):
    return f"{r[a]} {r[b]}".strip()


def kind_of(text):
    t = text.lower()
    if "powercat" in t or "nishang" in t:
        return "persistence"  # post-exploitation tooling (reverse shells)
    if "dearcry" in t:
        return "persistence"
    return "webshell"


def hashes():
    seen, out = {}, []
    for r in rows("hashes.tsv"):
        h = r["hash"].lower()
        s = src(r, "source_repo_or_url", "source_path_or_locator")
        if h in seen:
            seen[h][5] += "; also " + s
            continue
        fam = r["campaign_or_family"]
        row = [h, r["hash_type"], r["file_name"], fam, kind_of(fam + " " + r.get("note", "")), s]
        seen[h] = row
        out.append(row)
    write("hashes.tsv", ["hash", "type", "file_name", "family", "kind", "source"], out)


def scope_of(context):
    c = context.lower()
    if "windows\\temp" in c:
        return "windows-temp"
    if "aspnet_client\\system_web" in c:
        return "aspnet_client"
    return "exchange-web"


def names():
    out, seen = [], set()
    for r in rows("filenames.tsv"):
        if r["kind"] not in ("webshell_name", "artefact_name") or r["context"].startswith("MSTIC feed"):
            continue
        key = r["name"].lower()
        if key in seen:
            continue
        seen.add(key)
        out.append([r["name"], scope_of(r["context"]), r["context"],
                    src(r, "source_repo_or_url", "source_path_or_locator")])
    write("names.tsv", ["name", "scope", "family", "source"], out)


def reduce_path(p):
    p = p.replace("\\", "/")
    low = p.lower()
    for anchor in ("frontend/httpproxy/", "inetpub/"):
        i = low.find(anchor)
        if i >= 0:
            return p[i:]
    return p[3:] if len(p) > 3 and p[1] == ":" else p


# Folders and files the field notes name without a literal path row (ioc-hunting.md §1.2, §4).
ROGUE = "ProxyShell rogue IIS virtual-directory folder (ioc-hunting.md §4: HvS IR, Huntress; signature-base APT_IIS_Config_ProxyShell_Artifacts)"
MANUAL_PATHS = [[f"{root}/{d}/*.aspx", "webshell", "high", "ProxyShell rogue virtual directory", ROGUE]
                for root in ("ProgramData", "Users/All Users") for d in ("COM", "COM1", "CON", "AUX", "WHO", "XYZ", "ZOO", "ZING")]
MANUAL_PATHS += [
    ["ZING/*.exe", "persistence", "high", "ProxyShell DropHell (Deep Instinct)", "codeyourweb/fastfinder examples/proxyshell/drophell.yaml (ioc-hunting.md §3.5)"],
    ["ZING/*.aspx", "webshell", "high", "ProxyShell DropHell (Deep Instinct)", "codeyourweb/fastfinder examples/proxyshell/drophell.yaml (ioc-hunting.md §3.5)"],
    ["ProgramData/it.zip", "exfiltration-staging", "high", "HAFNIUM staging archive (Microsoft HAFNIUM blog)", "Neo23x0/signature-base yara/apt_hafnium.yar APT_HAFNIUM_Forensic_Artefacts_Mar21_1 string (ioc-hunting.md §1.2)"],
]


def paths():
    out, seen = [], set()
    for r in rows("paths.tsv"):
        if r["pattern_type"] != "literal_path":
            continue
        pat = reduce_path(r["pattern"])
        if pat.lower() in seen:
            continue
        seen.add(pat.lower())
        web = pat.lower().startswith(("frontend/", "inetpub/"))
        out.append([pat, "webshell" if web else "persistence", "high", r["campaign_or_context"],
                    src(r, "source_repo_or_url", "source_path_or_locator")])
    out += MANUAL_PATHS
    write("paths.tsv", ["pattern", "kind", "severity", "family", "source"], out)


def write(name, header, out):
    with open(f"{OUT}/{name}", "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(out)


hashes()
names()
paths()
