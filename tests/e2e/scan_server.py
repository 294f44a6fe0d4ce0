#!/usr/bin/env python3
"""A few emulated hosts on loopback for the scanner's own end-to-end test.

Each persona listens on its own 127.77.0.N address (same port) and answers as
the field notes (../shared/docs/remote-detection.md, "RD") describe real
servers. Loopback only. Usage: scan_server.py CERT KEY PORTFILE
Prints nothing; writes the chosen port to PORTFILE once every listener is up.
"""
import base64
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ntlm_type2():
    """A CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) naming EXCH01 in CONTOSO, Windows 10.0.17763."""
    def u(s):
        return s.encode("utf-16-le")
    def av(i, v):
        return struct.pack("<HH", i, len(v)) + v
    info = (av(2, u("CONTOSO")) + av(1, u("EXCH01")) + av(4, u("contoso.local"))
            + av(3, u("exch01.contoso.local")) + av(5, u("contoso.local")) + struct.pack("<HH", 0, 0))
    target = u("CONTOSO")
    head_len = 56
    flags = 0x00000001 | 0x00000200 | 0x00800000 | 0x02000000  # unicode, ntlm, target info, version
    msg = b"NTLMSSP\0" + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(target), len(target), head_len)
    msg += struct.pack("<I", flags) + b"\x11" * 8 + b"\0" * 8
    msg += struct.pack("<HHI", len(info), len(info), head_len + len(target))
    msg += bytes([10, 0]) + struct.pack("<H", 17763) + b"\0\0\0" + bytes([15])
    return base64.b64encode(msg + target + info).decode()


def logon_page(cu):
    # RD §1.1: OwaPage comment, FBA GUID, the CU in the asset path (sample 03/16 shape).
    return ("<!DOCTYPE html><html><head><title>Outlook</title>"
            "<!-- OwaPage = ASP.auth_logon_aspx -->"
            f'<link rel="shortcut icon" href="/owa/auth/{cu}/themes/resources/favicon.ico" type="image/x-icon">'
            f'<link type="text/css" rel="stylesheet" href="/owa/auth/{cu}/themes/resources/logon.css">'
            "</head><body><!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->"
            "<noscript>To use Outlook, browser settings must allow scripts to run.</noscript>"
            "</body></html>")


class Persona:
    name = "plain"
    server = "Microsoft-IIS/10.0"

    def answer(self, path, headers):
        return 404, {}, "not found"


class Exchange2016Vulnerable(Persona):
    """2016 CU19 at 15.1.2176.2 (sample 17c): full build on the EWS 401, ProxyLogon and ProxyShell open."""
    name = "e2016-cu19-vulnerable"

    def answer(self, path, headers):
        fe = {"X-FEServer": "EXCH01"}
        if path.startswith("/owa/auth/logon.aspx"):
            return 200, {}, logon_page("15.1.2176")
        if path == "/owa/":
            return 302, dict(fe, Location="https://mail.contoso.example/owa/auth/logon.aspx?url=x&reason=0"), ""
        if path.lower().startswith("/ews/exchange.asmx"):
            if "NTLM" in headers.get("Authorization", ""):
                return 401, dict(fe, **{"WWW-Authenticate": "NTLM " + ntlm_type2()}), ""
            return 401, dict(fe, **{"x-owa-version": "15.1.2176.2"}), ""
        if path == "/owa/auth/x.js":
            if "X-AnonResource-Backend" in headers.get("Cookie", ""):
                return 500, dict(fe, **{"X-CalculatedBETarget": "localhost"}), "NegotiateSecurityContext"
            return 404, fe, ""
        if path.startswith("/autodiscover/autodiscover.json?@test.com/owa/"):
            loc = ("/owa/auth/errorfe.aspx?httpCode=500&msgParam=NT+AUTHORITY%5cSYSTEM&owaError="
                   "Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException&owaVer=15.1.2176.2")
            return 302, dict(fe, Location=loc), ""
        if path.startswith("/rpc/"):
            return 401, dict(fe, **{"WWW-Authenticate": "NTLM " + ntlm_type2()}), ""
        return 404, fe, ""


class Exchange2016CuOnlyMitigated(Persona):
    """2016 CU19 logon page only (like samples 02-04: no X-OWA-Version), EOMT rule
    (logs-and-builds.md §6.1): the ProxyLogon cookie aborts the connection."""
    name = "e2016-cu19-cuonly-mitigated"

    def answer(self, path, headers):
        fe = {"X-FEServer": "EXCH02"}
        if "X-AnonResource-Backend" in headers.get("Cookie", ""):
            return "abort", {}, ""
        if path.startswith("/owa/auth/logon.aspx"):
            return 200, {}, logon_page("15.1.2176")
        if path == "/owa/":
            return 302, dict(fe, Location="/owa/auth/logon.aspx"), ""
        if path.startswith("/autodiscover/autodiscover.json"):
            return 400, fe, ""
        return 404, fe, ""


class Nginx(Persona):
    name = "nginx"
    server = "nginx/1.22.1"


class Decoy(Persona):
    """Havoc-style profile (RD §6.7, sample 18): EXO headers replayed on any path."""
    name = "decoy"
    server = "Microsoft-IIS/10.0"

    def answer(self, path, headers):
        return 200, {"X-OWA-Version": "15.1.1240.20", "X-CalculatedBETarget": "GV1P191MB2243.EURP191.PROD.OUTLOOK.COM",
                     "X-BEServer": "GV1P191MB2243"}, "<html></html>"


class Tarpit(Persona):
    name = "tarpit"

    def answer(self, path, headers):
        return "stall", {}, ""


class EndlessHeaders(Persona):
    name = "endless-headers"

    def answer(self, path, headers):
        return "endless", {}, ""


PERSONAS = [Exchange2016Vulnerable(), Exchange2016CuOnlyMitigated(), Nginx(), Decoy(), Tarpit(), EndlessHeaders()]


def make_handler(persona):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = persona.server
        sys_version = ""

        def log_message(self, *a):
            pass

        def do_GET(self):
            status, hdrs, body = persona.answer(self.path, self.headers)
            if status == "abort":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                try:
                    self.connection.close()
                except OSError:
                    pass
                return
            if status == "stall":
                time.sleep(60)
                return
            if status == "endless":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                try:
                    for i in range(200000):
                        self.wfile.write(b"X-Filler-%d: %s\r\n" % (i, b"a" * 100))
                except OSError:
                    pass
                self.close_connection = True
                return
            data = body.encode()
            self.send_response(status)
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return H


def main():
    cert, key, portfile = sys.argv[1:4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # Every persona listens on the same port of its own address: take a port that is free on all of them.
    for _ in range(50):
        port, servers = 0, []
        try:
            for i, p in enumerate(PERSONAS):
                srv = ThreadingHTTPServer(("127.77.0.%d" % (i + 1), port), make_handler(p))
                srv.daemon_threads = True
                srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
                port = srv.server_address[1]
                servers.append(srv)
            stall = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            stall.bind(("127.77.0.8", port))
            break
        except OSError:
            for srv in servers:
                srv.server_close()
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    # 127.77.0.8: a TLS tarpit, TCP accepted and never a byte of TLS (curl's connect phase stalls).
    stall.listen(16)
    held = []
    def hold():
        while True:
            c, _ = stall.accept()
            held.append(c)
    threading.Thread(target=hold, daemon=True).start()
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
