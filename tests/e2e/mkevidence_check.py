#!/usr/bin/env python3
"""Checks for tests/e2e/test_mkevidence.sh: an independent reader of the evidence
mkevidence writes. Formats and patterns are typed in from the field notes
(../shared/docs/logs-and-builds.md §3, ioc-hunting.md §1.3-1.4), not taken from
the generator.

usage: mkevidence_check.py tree DIR TRUTH | logbytes DIR | only-attempts TRUTH |
       exsetup DIR BUILD | layout2013 DIR | evtx-vs-xml BIN_DIR XML_DIR |
       evtx-vs-csv BIN_DIR CSV_DIR | evtxinfo DIR | zip kape|velociraptor ZIP TRUTH
"""
import csv
import datetime
import glob
import hashlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

# logs-and-builds.md §3.1, Exchange 2016 CU22 sample (DFIRPAGE): the 74 fields.
HP_FIELDS = ("DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,"
             "UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,"
             "AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,"
             "ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,"
             "ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,"
             "HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,"
             "AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,"
             "TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,"
             "ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
             "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,"
             "ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,"
             "HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,"
             "TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,"
             "EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus").split(",")
assert len(HP_FIELDS) == 74
# The EvtxECmd CSV column set named in the brief.
CSV_COLUMNS = ("RecordNumber,EventRecordId,TimeCreated,EventId,Level,Provider,Channel,ProcessId,ThreadId,Computer,"
               "UserId,MapDescription,UserName,RemoteHost,PayloadData1,PayloadData2,PayloadData3,PayloadData4,"
               "PayloadData5,PayloadData6,ExecutableInfo,HiddenRecord,SourceFile,Keywords,ExtraDataOffset,"
               "Payload").split(",")
# Test-ProxyLogon Get-Cve27065 (ECP server log), ioc-hunting/log-patterns.
RE_27065 = re.compile(r"Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)", re.I)
RE_SENTINEL_PL = re.compile(r"/(ecp|owa/auth)/[A-Za-z0-9]{1,30}\.(js|flt|css)\b")
# CHIRP / Volexity: POST to static resources under /owa/auth/Current/
RE_VOLEXITY = re.compile(r"POST /owa/auth/Current/")
RE_OWASSRF = re.compile(r"/owa/[^/\s]{1,30}(%40|@)[^/\s\.]{1,30}\.[^/\s]{2,3}/powershell", re.I)
RE_PNS = re.compile(r"/autodiscover/autodiscover\.json[^\n]{1,300}owershell", re.I)
RE_26858 = re.compile(r"Download failed and temporary file (.*?) needs to be removed")
SUCCESS = {200, 241, 302}
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"

errors = []


def err(msg):
    errors.append(msg)


def local(root, vpath):
    if len(vpath) > 2 and vpath[1] == ":" and vpath[2] == "/":
        return os.path.join(root, vpath[0], vpath[3:])
    return os.path.join(root, vpath)


def iso_ms(s):
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".")
        frac = (frac + "000")[:3]
    else:
        head, frac = s, "000"
    dt = datetime.datetime.strptime(head.replace(" ", "T"), "%Y-%m-%dT%H:%M:%S")
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000 + int(frac)


def iso_s(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    return data.decode("utf-8").split("\r\n")


# ------------------------------------------------------------------ log files

def parse_hp(path, check_mtime):
    lines = read_lines(path)
    if lines[-1] != "":
        err(f"{path}: no CRLF at the end")
    name = os.path.basename(path)
    m = re.fullmatch(r"HttpProxy_(\d{10})-(\d+)\.LOG", name)
    if not m:
        err(f"{path}: bad file name")
        return {}
    if not lines[0] == "#Software: Microsoft Exchange Server" or not re.fullmatch(
            r"#Version: 15\.0[0-2]\.\d{4}\.\d{3}", lines[1]) or lines[2] != "#Log-type: HttpProxy Logs" or \
            not re.fullmatch(r"#Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[3]):
        err(f"{path}: bad header block {lines[:4]}")
    if not lines[4].startswith("#Fields: "):
        err(f"{path}: no #Fields line")
        return {}
    fields = lines[4][len("#Fields: "):].split(",")
    old = lines[1].startswith("#Version: 15.00")
    want = [f for f in HP_FIELDS if f not in ("UrlHost", "RoutingType", "BackEndGenericInfo")][:63] if old \
        else HP_FIELDS
    if old:
        want = [f for f in HP_FIELDS[:HP_FIELDS.index("EdgeTraceId")]
                if f not in ("UrlHost", "RoutingType", "BackEndGenericInfo")]
    if fields != want:
        err(f"{path}: #Fields differs from the documented list")
    rows = {}
    last = None
    for i, row in enumerate(csv.reader(io.StringIO("\n".join(lines[5:-1]))), start=6):
        if len(row) != len(fields):
            err(f"{path}:{i}: {len(row)} columns, header has {len(fields)}")
            continue
        r = dict(zip(fields, row))
        t = iso_ms(r["DateTime"])
        if datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc).strftime("%Y%m%d%H") != m.group(1):
            err(f"{path}:{i}: DateTime outside the file's hour")
        if last is not None and t < last:
            err(f"{path}:{i}: lines out of time order")
        last = t
        r["_t"] = t
        rows[i] = r
    if check_mtime and last is not None and int(os.stat(path).st_mtime) != last // 1000:
        err(f"{path}: mtime {os.stat(path).st_mtime} is not the last line's time")
    return rows


def parse_iis(path, site):
    lines = read_lines(path)
    name = os.path.basename(path)
    m = re.fullmatch(r"u_ex(\d{6})\.log", name)
    if not m:
        err(f"{path}: bad file name")
    fields, rows, layouts = None, {}, []
    for i, line in enumerate(lines[:-1], start=1):
        if line.startswith("#"):
            if line.startswith("#Fields: "):
                fields = line[9:].split(" ")
                layouts.append(tuple(fields))
                for need in ("date", "time", "cs-method", "cs-uri-stem", "cs-uri-query", "c-ip", "sc-status"):
                    if need not in fields:
                        err(f"{path}:{i}: #Fields lacks {need}")
            elif not re.match(r"#(Software|Version|Date): ", line):
                err(f"{path}:{i}: unknown directive")
            continue
        if fields is None:
            err(f"{path}:{i}: data before #Fields")
            return {}, layouts
        parts = line.split(" ")
        if len(parts) != len(fields):
            err(f"{path}:{i}: {len(parts)} fields, #Fields has {len(fields)}")
            continue
        r = dict(zip(fields, parts))
        if r["date"].replace("-", "")[2:] != m.group(1):
            err(f"{path}:{i}: date outside the file's day")
        if "s-port" in r and r["s-port"] != ("443" if site == 1 else "444"):
            err(f"{path}:{i}: port {r['s-port']} on W3SVC{site}")
        r["_t"] = iso_ms(r["date"] + "T" + r["time"])
        r["_line"] = line
        rows[i] = r
    return rows, layouts


def parse_simple(path, fields_want):
    lines = read_lines(path)
    if not lines[4] == "#Fields: " + fields_want:
        err(f"{path}: #Fields is {lines[4]!r}")
    fields = fields_want.split(",")
    rows = {}
    for i, row in enumerate(csv.reader(io.StringIO("\n".join(lines[5:-1]))), start=6):
        if len(row) != len(fields):
            err(f"{path}:{i}: {len(row)} columns")
            continue
        r = dict(zip(fields, row))
        r["_t"] = iso_ms(r["TimeStamp"])
        r["_raw"] = lines[i - 1]
        rows[i] = r
    return rows


def evtx_records(path):
    """evtxexport -f xml -> {record id: dict}."""
    out = subprocess.run(["evtxexport", "-f", "xml", path], capture_output=True, text=True)
    if out.returncode != 0:
        err(f"{path}: evtxexport failed: {out.stderr[:300]}")
        return {}
    recs = {}
    for chunk in re.findall(r"<Event xmlns=.*?</Event>", out.stdout, re.S):
        ev = event_dict(ET.fromstring(chunk))
        recs[ev["record"]] = ev
    return recs


def event_dict(e):
    sysn = e.find(NS + "System")
    g = lambda tag: sysn.find(NS + tag)
    data = [d.text or "" for d in e.find(NS + "EventData").findall(NS + "Data")]
    return {
        "record": int(g("EventRecordID").text),
        "provider": g("Provider").get("Name"),
        "event_id": int(g("EventID").text),
        "qualifiers": int(g("EventID").get("Qualifiers")),
        "level": int(g("Level").text),
        "task": int(g("Task").text),
        "keywords": int(g("Keywords").text, 16),
        "time": iso_ms(g("TimeCreated").get("SystemTime")),
        "channel": g("Channel").text,
        "computer": g("Computer").text,
        "data": [d.replace("\r\n", "\n") for d in data],
    }


# ------------------------------------------------------------------ the tree

class Tree:
    def __init__(self, root, check_mtime=True):
        self.root = root
        self.check_mtime = check_mtime
        self.hp, self.iis, self.ecp, self.oab, self.layouts = {}, {}, {}, {}, set()
        self.evtx, self.xml, self.csvrows = {}, {}, {}
        for p in sorted(glob.glob(os.path.join(root, "*", "**", "Logging", "HttpProxy", "*", "*"), recursive=True)):
            self.hp[p] = parse_hp(p, check_mtime)
        for site in (1, 2):
            for p in sorted(glob.glob(os.path.join(root, "C", "inetpub", "logs", "LogFiles", f"W3SVC{site}", "*"))):
                self.iis[p], lay = parse_iis(p, site)
                self.layouts.update(lay)
        for p in sorted(glob.glob(os.path.join(root, "*", "**", "Logging", "ECP", "Server", "*"), recursive=True)):
            if not re.fullmatch(r"ECPServer\d{8}-\d+\.LOG", os.path.basename(p)):
                err(f"{p}: bad ECP file name")
            self.ecp[p] = parse_simple(p, "TimeStamp,ServerName,EventId,EventData")
        for p in sorted(glob.glob(os.path.join(root, "*", "**", "Logging", "OABGeneratorLog", "*"), recursive=True)):
            self.oab[p] = parse_simple(p, "TimeStamp,ServerName,ThreadId,Level,Message")
        if not self.hp or not self.iis or not self.ecp:
            err(f"{root}: HttpProxy, IIS or ECP logs missing")

    def evtx_of(self, path):
        if path not in self.evtx:
            self.evtx[path] = evtx_records(path)
        return self.evtx[path]


def shell_urls(truth):
    urls = []
    for e in truth["expected"]:
        if e["kind"] == "webshell" and e["line"] is None and e["record"] is None:
            p = e["path"]
            if p.startswith("C:/inetpub/wwwroot/"):
                urls.append("/" + p[len("C:/inetpub/wwwroot/"):])
            elif "/FrontEnd/HttpProxy/" in p:
                urls.append("/" + p.split("/FrontEnd/HttpProxy/")[1])
    return urls


def check_line_entry(tree, truth, e):
    path = local(tree.root, e["path"])
    kind, cve, line = e["kind"], e["cve"], e["line"]
    text, status, t = None, None, None
    if path in tree.hp:
        r = tree.hp[path].get(line)
        if r:
            # the URL first (stem and query are far apart in the row), then the whole row
            text = r["UrlStem"] + r["UrlQuery"] + " " + ",".join(v for k, v in r.items() if not k.startswith("_"))
            status, t, src = int(r["HttpStatus"]), r["_t"], "hp"
    elif path in tree.iis:
        r = tree.iis[path].get(line)
        if r:
            text, status, t = r["_line"], int(r["sc-status"]), r["_t"]
            src = "be" if "/W3SVC2/" in path else "iis"
    elif path in tree.ecp:
        r = tree.ecp[path].get(line)
        if r:
            text, t, src = r["_raw"], r["_t"], "ecp"
    elif path in tree.oab:
        r = tree.oab[path].get(line)
        if r:
            text, t, src = r["_raw"], r["_t"], "oab"
    elif path.endswith(".xml") or path.endswith(".csv"):
        lines = read_lines(path)
        if line > len(lines):
            err(f"{e['path']}:{line}: past the end")
            return
        text = lines[line - 1]
        rid = re.search(r"<EventRecordID>(\d+)</EventRecordID>", text) if path.endswith(".xml") else None
        if path.endswith(".csv"):
            row = next(csv.reader([text]))
            rid_v = int(row[1])
            t = iso_ms(row[2][:23])
        else:
            rid_v = int(rid.group(1)) if rid else -1
            t = iso_ms(re.search(r"SystemTime='([^']+)'", text).group(1))
        if rid_v != e["record"]:
            err(f"{e['path']}:{line}: record {rid_v}, truth says {e['record']}")
        src = "evtx"
    else:
        err(f"{e['path']}: not a log file the checker knows")
        return
    if text is None:
        err(f"{e['path']}:{line}: no such data line")
        return
    if iso_s(t) != e["time"]:
        err(f"{e['path']}:{line}: line time {iso_s(t)}, truth {e['time']}")
    check_markers(truth, e, src, text)
    if status is not None:
        if kind == "exploitation-success" and e.get("required", True) and status not in SUCCESS:
            err(f"{e['path']}:{line}: success with status {status}")
        if kind == "exploitation-attempt" and e["max_severity"] and status < 400:
            err(f"{e['path']}:{line}: failed attempt with status {status}")
        if kind == "webshell" and status != 200:
            err(f"{e['path']}:{line}: web shell request with status {status}")


def check_markers(truth, e, src, text):
    cve, kind = e["cve"], e["kind"]
    low = text.lower()
    ok = True
    if kind == "webshell":
        ok = any(u.lower() in low for u in shell_urls(truth))
    elif cve == "CVE-2021-26855":
        ok = "serverinfo~" in low if src == "hp" else \
            bool(RE_SENTINEL_PL.search(text) or RE_VOLEXITY.search(text)) if src == "iis" else \
            re.search(r" /(mapi|ecp|autodiscover)/", text) is not None
    elif cve == "CVE-2021-27065":
        ok = bool(re.search(r"ServerInfo~[^,]*Reset[^,]*VirtualDirectory#", text)) if src == "hp" else \
            "oabvirtualdirectory" in low
        if e.get("required", True) and src == "ecp":
            ok = ok and bool(RE_27065.search(text))
        if e.get("required", True) and src == "evtx":
            ok = ok and "externalurl" in low and "<script" in low.replace("&lt;", "<")
    elif cve == "CVE-2021-26858":
        m = RE_26858.search(text)
        ok = bool(m) and not m.group(1).lower().startswith(("'" + truth["install_root"].replace("/", "\\") +
                                                            "\\clientaccess\\oab").lower())
    elif cve == "CVE-2021-26857":
        ok = "system.invalidcastexception" in low and "unified messaging" in low
    elif cve == "CVE-2021-34473":
        ok = "autodiscover.json" in low and "@" in text if src in ("hp", "iis") else \
            re.search(r" /(mapi|ews|autodiscover|powershell)", low) is not None
    elif cve == "CVE-2021-31207":
        ok = "new-mailboxexportrequest" in low and ".aspx" in low
    elif cve == "CVE-2022-41040":
        ok = bool(RE_PNS.search(text))
    elif cve == "CVE-2022-41080":
        ok = bool(RE_OWASSRF.search(text))
    elif cve == "CVE-2022-41082":
        ok = "powershell" in low
    elif kind == "persistence":
        ok = re.search(r"New-ManagementRoleAssignment|Remove-MailboxExportRequest|New-ExchangeCertificate", text) \
            is not None
    else:
        err(f"no marker known for {kind} {cve}")
        return
    if not ok:
        err(f"{e['path']}:{e['line'] or e['record']}: line does not show {kind} {cve}: {text[:300]}")


def check_record_entry(tree, truth, e):
    path = local(tree.root, e["path"])
    recs = tree.evtx_of(path)
    r = recs.get(e["record"])
    if not r:
        err(f"{e['path']}: record {e['record']} not read back")
        return
    if iso_s(r["time"]) != e["time"]:
        err(f"{e['path']}#{e['record']}: time {iso_s(r['time'])}, truth {e['time']}")
    text = f"{r['provider']} " + " ".join(r["data"])
    if e["cve"] == "CVE-2021-26857" and r["level"] != 2:
        err(f"{e['path']}#{e['record']}: UM event not at level Error")
    check_markers(truth, e, "evtx", text)


def check_file_entry(tree, e):
    path = local(tree.root, e["path"])
    if not os.path.isfile(path):
        err(f"{e['path']}: planted file missing")
        return
    data = open(path, "rb").read()
    if e["sha256"] and hashlib.sha256(data).hexdigest() != e["sha256"]:
        err(f"{e['path']}: sha256 differs from the truth")
    if e["kind"] == "webshell" and e.get("required", True):
        if path.endswith(".dll"):
            ok = data[:2] == b"MZ" and b"App_Web_" in data and b"JScriptEvaluate" in data and \
                "~/aspnet_client/".encode("utf-16-le") in data and 5 * 1024 < len(data) < 40 * 1024
        else:
            ok = b"Page Language=" in data or b'runat="server"' in data
            if data[:4] == b"!BDN" or data[:2] == b"\x30\x82":
                ok = ok and b"Page Language=" in data
        if not ok:
            err(f"{e['path']}: does not look like a web shell")


def check_tree(root, truth_path, check_mtime=True):
    truth = json.load(open(truth_path))
    tree = Tree(root, check_mtime)
    if truth["scenario"] == "clean" and (truth["expected"] or truth["context"]):
        err("clean scenario with expected findings")
    if truth["scenario"] != "clean" and not truth["expected"]:
        err(f"{truth['scenario']}: nothing expected")
    times = []
    planted = set()
    for e in truth["expected"] + truth["context"]:
        if e["line"] is not None:
            check_line_entry(tree, truth, e)
            planted.add((local(root, e["path"]), e["line"]))
        elif e["record"] is not None:
            check_record_entry(tree, truth, e)
        else:
            check_file_entry(tree, e)
        if e["time"]:
            times.append(e["time"])
        if e["min_severity"] not in ("info", "medium", "high", "critical"):
            err(f"bad min_severity {e['min_severity']}")
    if times and (truth["first_malicious"] > min(times) or truth["last_malicious"] < max(times)):
        err("first/last_malicious do not bracket the expected times")
    benign = set()
    for b in truth["benign"]:
        p = local(root, b["path"])
        if not os.path.exists(p):
            err(f"benign look-alike missing: {b['path']}")
        if b["line"] is not None:
            benign.add((p, b["line"]))
    if len(truth["benign_lookalikes"]) != len(truth["benign"]):
        err("benign_lookalikes and benign differ in length")
    # Every line that shows a documented attack pattern is planted and in the truth; benign traffic never does.
    for p, rows in tree.hp.items():
        for i, r in rows.items():
            if "serverinfo~" in r["AnchorMailbox"].lower() and (p, i) not in planted:
                err(f"{p}:{i}: ServerInfo~ line not in the truth")
            if "/" in r["BackEndCookie"] and r["BackEndCookie"].startswith("Server~") and (p, i) not in planted:
                err(f"{p}:{i}: Server~*/*~* back end cookie not in the truth")
    for p, rows in tree.iis.items():
        for i, r in rows.items():
            line = r["_line"]
            suspicious = RE_SENTINEL_PL.search(r["cs-uri-stem"]) or RE_PNS.search(line) or RE_OWASSRF.search(line) \
                or RE_VOLEXITY.search(line) \
                or ("autodiscover.json" in r["cs-uri-stem"].lower() and "@" in r["cs-uri-query"]) \
                or "antSword" in line or "X-Rps-CAT" in line \
                or any(u.lower() in r["cs-uri-stem"].lower() for u in shell_urls(truth))
            if suspicious and (p, i) not in planted:
                err(f"{p}:{i}: attack-like line not in the truth: {line[:200]}")
    for p, rows in tree.ecp.items():
        for i, r in rows.items():
            if RE_27065.search(r["_raw"]) and (p, i) not in planted:
                err(f"{p}:{i}: script in a virtual directory URL, not in the truth")
            if re.search(r"Set-\w+VirtualDirectory", r["_raw"]) and (p, i) not in planted | benign:
                err(f"{p}:{i}: Set-*VirtualDirectory neither planted nor a listed look-alike")
    for p, rows in tree.oab.items():
        for i, r in rows.items():
            if "Download failed" in r["_raw"] and (p, i) not in planted | benign:
                err(f"{p}:{i}: OAB download failure neither planted nor a listed look-alike")
    # Coverage: every log folder written is covered.
    cov = truth["log_coverage"]
    for p in tree.hp:
        proto = p.split(os.sep)[-2]
        if f"Logging/HttpProxy/{proto}" not in cov:
            err(f"no coverage for HttpProxy/{proto}")
    for k, v in cov.items():
        if v["first"] > v["last"]:
            err(f"coverage {k}: first after last")
    if check_mtime and len(tree.iis) >= 6 and len(tree.layouts) < 2:
        err("every IIS file has the same #Fields order")
    return truth


# ------------------------------------------------------------------ other checks

def logbytes(root):
    n = 0
    for pat in ("*/**/Logging/HttpProxy/*/*", "*/**/Logging/ECP/Server/*", "*/**/Logging/OABGeneratorLog/*",
                "C/inetpub/logs/LogFiles/*/*"):
        for p in glob.glob(os.path.join(root, pat), recursive=True):
            n += os.path.getsize(p)
    print(n)


def only_attempts(truth_path):
    t = json.load(open(truth_path))
    entries = t["expected"] + t["context"]
    if not t["expected"]:
        err("no attempts expected")
    for e in entries:
        if e["kind"] != "exploitation-attempt":
            err(f"{e['path']}: {e['kind']} although the fix came first")


def pe_version(path):
    d = open(path, "rb").read()
    if d[:2] != b"MZ":
        err(f"{path}: not MZ")
        return None
    pe = struct.unpack_from("<I", d, 0x3C)[0]
    if d[pe:pe + 4] != b"PE\0\0":
        err(f"{path}: no PE signature")
        return None
    nsec, optsz = struct.unpack_from("<H", d, pe + 6)[0], struct.unpack_from("<H", d, pe + 20)[0]
    opt = pe + 24
    magic = struct.unpack_from("<H", d, opt)[0]
    dd = opt + (112 if magic == 0x20B else 96)
    rva, size = struct.unpack_from("<II", d, dd + 2 * 8)
    secs = []
    for i in range(nsec):
        s = opt + optsz + 40 * i
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", d, s + 8)
        secs.append((vaddr, max(vsize, rawsize), rawptr))

    def off(r):
        for va, sz, raw in secs:
            if va <= r < va + sz:
                return raw + r - va
        raise ValueError("rva outside sections")
    base = off(rva)

    def entries(o):
        named, ids = struct.unpack_from("<HH", d, o + 12)
        return [struct.unpack_from("<II", d, o + 16 + 8 * i) for i in range(named + ids)]
    typ = [e for e in entries(base) if e[0] == 16]
    if not typ:
        err(f"{path}: no RT_VERSION")
        return None
    lvl2 = entries(base + (typ[0][1] & 0x7FFFFFFF))
    lvl3 = entries(base + (lvl2[0][1] & 0x7FFFFFFF))
    drva, dsize = struct.unpack_from("<II", d, base + lvl3[0][1])
    vi = d[off(drva):off(drva) + dsize]
    if "VS_VERSION_INFO".encode("utf-16-le") not in vi:
        err(f"{path}: no VS_VERSION_INFO")
        return None
    fi = vi.find(struct.pack("<I", 0xFEEF04BD))
    ms, ls = struct.unpack_from("<II", vi, fi + 8)
    fixed = f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
    key = "ProductVersion".encode("utf-16-le") + b"\0\0"
    k = vi.find(key)
    k += len(key)
    k += (-k) % 4
    end = vi.find(b"\0\0", k)
    end += (end - k) % 2
    prodver = vi[k:end].decode("utf-16-le")
    return fixed, prodver


def exsetup(root, build):
    paths = glob.glob(os.path.join(root, "*", "**", "Bin", "ExSetup.exe"), recursive=True)
    if len(paths) != 1:
        err(f"ExSetup.exe found {len(paths)} times")
        return
    v = pe_version(paths[0])
    if not v:
        return
    a, b, c, d = (int(x) for x in build.split("."))
    if v[0] != build or v[1] != f"{a}.{b:02d}.{c:04d}.{d:03d}":
        err(f"ExSetup.exe says {v}, expected {build}")


def layout2013(root):
    n = 0
    for p in glob.glob(os.path.join(root, "*", "**", "Logging", "HttpProxy", "*", "*"), recursive=True):
        lines = read_lines(p)
        fields = lines[4].split(": ", 1)[1].split(",")
        if "UrlHost" in fields or "RoutingType" in fields or not lines[1].startswith("#Version: 15.00."):
            err(f"{p}: not the Exchange 2013 layout")
        n += 1
    if not n:
        err("no HttpProxy files")


def evtx_all(root):
    recs = {}
    for p in sorted(glob.glob(os.path.join(root, "C", "Windows", "System32", "winevt", "Logs", "*.evtx"))):
        r = evtx_records(p)
        if not r:
            err(f"{p}: no records")
        recs.update(r)
        chan = os.path.basename(p)[:-5]
        for ev in r.values():
            if ev["channel"] != chan:
                err(f"{p}: record {ev['record']} in channel {ev['channel']}")
    return recs


def evtx_vs_xml(bin_root, xml_root):
    recs = evtx_all(bin_root)
    other = {}
    for p in glob.glob(os.path.join(xml_root, "EventLogs", "*.xml")):
        doc = ET.parse(p).getroot()
        if doc.tag != "Events":
            err(f"{p}: root is {doc.tag}")
        for e in doc.findall(NS + "Event"):
            ev = event_dict(e)
            other[ev["record"]] = ev
    if not recs or set(recs) != set(other):
        err(f"record sets differ: evtx {len(recs)}, xml {len(other)}")
    for k in sorted(set(recs) & set(other)):
        if recs[k] != other[k]:
            err(f"record {k} differs:\n evtx {recs[k]}\n xml  {other[k]}")
            break


def evtx_vs_csv(bin_root, csv_root):
    recs = evtx_all(bin_root)
    files = glob.glob(os.path.join(csv_root, "EventLogs", "*_EvtxECmd_Output.csv"))
    if len(files) != 1:
        err(f"{len(files)} EvtxECmd CSV files")
        return
    with open(files[0], newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows[0] != CSV_COLUMNS:
        err(f"CSV header {rows[0]}")
    levels = {"Info": 4, "Warning": 3, "Error": 2, "Critical": 1, "Verbose": 5}
    seen = set()
    for n, row in enumerate(rows[1:], start=1):
        r = dict(zip(rows[0], row))
        k = int(r["EventRecordId"])
        seen.add(k)
        ev = recs.get(k)
        if not ev:
            err(f"CSV record {k} not in the evtx")
            continue
        data = [x if x is not None else "" for x in json.loads(r["Payload"])["EventData"]["Data"]]
        got = (int(r["EventId"]), levels.get(r["Level"]), r["Provider"], r["Channel"], iso_ms(r["TimeCreated"][:23]),
               r["Computer"], [d.replace("\r\n", "\n") for d in data])
        want = (ev["event_id"], ev["level"], ev["provider"], ev["channel"], ev["time"], ev["computer"], ev["data"])
        if got != want:
            err(f"CSV record {k} differs:\n csv  {got}\n evtx {want}")
            break
        if int(r["RecordNumber"]) < 1 or not r["SourceFile"].endswith(ev["channel"] + ".evtx"):
            err(f"CSV record {k}: RecordNumber/SourceFile")
    if seen != set(recs):
        err(f"record sets differ: evtx {len(recs)}, csv {len(seen)}")


def evtxinfo(root):
    for p in glob.glob(os.path.join(root, "C", "Windows", "System32", "winevt", "Logs", "*.evtx")):
        out = subprocess.run(["evtxinfo", p], capture_output=True, text=True)
        if out.returncode != 0 or "corrupted" in out.stdout.lower() or "Number of records" not in out.stdout:
            err(f"{p}: evtxinfo: {out.stdout} {out.stderr}")
        with open(p, "rb") as f:
            head = f.read(4096)
            if head[:8] != b"ElfFile\0" or struct.unpack_from("<I", head, 124)[0] != (
                    __import__("zlib").crc32(head[:120]) & 0xFFFFFFFF):
                err(f"{p}: file header CRC")


def unzip_to_tree(kind, zpath, truth_path):
    z = zipfile.ZipFile(zpath)
    names = z.namelist()
    truth = json.load(open(truth_path))
    dest = tempfile.mkdtemp(prefix="mkev-zip-")
    for n in names:
        if kind == "kape":
            if n.endswith("_CopyLog.csv"):
                continue
            rel = n
        else:
            if n.startswith("results/"):
                continue
            if n.startswith("uploads/auto/"):
                rest = n[len("uploads/auto/"):]
            elif n.startswith("uploads/ntfs/%5C%5C.%5C"):
                rest = n[len("uploads/ntfs/%5C%5C.%5C"):]
                if not rest.startswith("C%3A/Windows/System32/winevt/"):
                    err(f"{n}: ntfs accessor for a file that is not an event log")
            elif n.startswith("uploads/"):
                err(f"{n}: unknown accessor")
                continue
            else:
                rest = None
            if rest is not None:
                rest = urllib.parse.unquote(rest)
                if rest[1:3] != ":/":
                    err(f"{n}: no drive")
                rel = rest[0] + "/" + rest[3:] if rest is not None else n
            else:
                rel = n
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(z.read(n))
    # tool-specific metadata
    if kind == "kape":
        logs = [n for n in names if re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}_CopyLog\.csv", n)]
        if len(logs) != 1:
            err("KAPE CopyLog missing")
        else:
            rows = list(csv.DictReader(io.StringIO(z.read(logs[0]).decode())))
            for r in rows:
                src = r["SourceFile"]
                n = src[0] + "/" + src[3:].replace("\\", "/")
                if n not in names or hashlib.sha1(z.read(n)).hexdigest() != r["SourceFileSha1"]:
                    err(f"CopyLog row {src}: no matching entry")
            if len(rows) < 10:
                err("CopyLog nearly empty")
        if not any(n.startswith("C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/") for n in names):
            err("kape: no C/Program Files/.../HttpProxy entries")
    else:
        res = "results/Windows.KapeFiles.Targets%2FUploads.json"
        if res not in names:
            err("velociraptor: results json missing")
        else:
            for line in z.read(res).decode().splitlines():
                r = json.loads(line)
                if r["Destination"] not in names or hashlib.sha256(z.read(r["Destination"])).hexdigest() != r["Sha256"]:
                    err(f"results row {r['SourceFile']}: no matching upload")
        for must in ("uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe",
                     "uploads/ntfs/%5C%5C.%5CC%3A/Windows/System32/winevt/Logs/Application.evtx"):
            if must not in names:
                err(f"velociraptor: {must} missing")
    for e in truth["expected"]:
        p = local(dest, e["path"])
        if not os.path.exists(p):
            err(f"zip: {e['path']} missing")
    check_tree(dest, truth_path, check_mtime=False)
    subprocess.run(["rm", "-rf", dest])


def main():
    a = sys.argv[1:]
    if not a:
        print(__doc__)
        return 2
    cmd = a[0]
    if cmd == "tree":
        check_tree(a[1], a[2])
    elif cmd == "logbytes":
        logbytes(a[1])
    elif cmd == "only-attempts":
        only_attempts(a[1])
    elif cmd == "exsetup":
        exsetup(a[1], a[2])
    elif cmd == "layout2013":
        layout2013(a[1])
    elif cmd == "evtx-vs-xml":
        evtx_vs_xml(a[1], a[2])
    elif cmd == "evtx-vs-csv":
        evtx_vs_csv(a[1], a[2])
    elif cmd == "evtxinfo":
        evtxinfo(a[1])
    elif cmd == "zip":
        unzip_to_tree(a[1], a[2], a[3])
    else:
        print(__doc__)
        return 2
    for e in errors[:25]:
        print(e)
    if len(errors) > 25:
        print(f"... {len(errors) - 25} more")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
