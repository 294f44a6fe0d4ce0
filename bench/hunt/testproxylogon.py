#!/usr/bin/env python3
"""A stand-in for Test-ProxyLogon's HttpProxy checks (microsoft/CSS-Exchange
Security/src/Test-ProxyLogon.ps1, Get-Cve26855 and the HttpProxy half of
Get-Cve27065; ../shared/docs/logs-and-builds.md §1.1, §1.4), with Python's csv
module standing in for Import-Csv:

  - every *.log under <install>/Logging/HttpProxy, recursively;
  - read only when Select-String -Quiet finds "ServerInfo~" (case-insensitive);
  - rows parsed by csv with the "#Fields:" header (a file whose first line is
    "#Software..." would give Import-Csv no AnchorMailbox column at all);
  - CVE-2021-26855: AnchorMailbox -like 'ServerInfo~*/*' -and -notlike
    'ServerInfo~*/autodiscover*' -and -notlike 'ServerInfo~localhost*/*';
  - CVE-2021-27065: AnchorMailbox -like 'ServerInfo~*/*Reset*VirtualDirectory#'
    -and HttpStatus -eq 200.
Prints "26855 <n>" and "27065 <n>".
"""
import csv
import os
import re
import sys


def like(pattern):
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(rx + r"\Z", re.IGNORECASE | re.DOTALL)


SSRF = like("ServerInfo~*/*")
AUTOD = like("ServerInfo~*/autodiscover*")
LOCAL = like("ServerInfo~localhost*/*")
RESET = like("ServerInfo~*/*Reset*VirtualDirectory#")


def rows(path):
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        data = f.read()
    if "serverinfo~" not in data.lower():
        return
    header = None
    lines = []
    for line in data.splitlines():
        if line.startswith("#Fields:"):
            header = next(csv.reader([line[8:].strip()]))
        elif not line.startswith("#"):
            lines.append(line)
    if header is None:
        return
    yield from csv.DictReader(lines, fieldnames=header)


def main():
    root = sys.argv[1]
    n26855 = n27065 = 0
    for d, _, files in os.walk(root):
        for name in files:
            if not name.lower().endswith(".log"):
                continue
            for r in rows(os.path.join(d, name)):
                a = r.get("AnchorMailbox") or ""
                if SSRF.match(a) and not AUTOD.match(a) and not LOCAL.match(a):
                    n26855 += 1
                if RESET.match(a) and r.get("HttpStatus") == "200":
                    n27065 += 1
    print("26855", n26855)
    print("27065", n27065)


if __name__ == "__main__":
    main()
