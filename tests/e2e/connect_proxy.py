#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy on 127.0.0.1 for the --proxy test (loopback only).

usage: connect_proxy.py PORTFILE LOGFILE
Writes its port to PORTFILE, one line per request head ("CONNECT host:port HTTP/1.1") to
LOGFILE, and tunnels CONNECT to 127.0.0.0/8 destinations only; anything else gets 403.
"""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(client, log):
    client.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 16384:
        data = client.recv(4096)
        if not data:
            return
        head += data
    line = head.split(b"\r\n")[0].decode("latin-1")
    with lock:
        log.write(line + "\n")
        log.flush()
    parts = line.split(" ")
    host, _, port = parts[1].rpartition(":") if len(parts) == 3 else ("", "", "")
    if parts[0] != "CONNECT" or not host.startswith("127.") or not port.isdigit():
        client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        client.close()
        return
    upstream = socket.create_connection((host, int(port)), timeout=10)
    client.settimeout(None)
    upstream.settimeout(None)
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    pipe(upstream, client)


lock = threading.Lock()
log = open(sys.argv[2], "a")
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn, log), daemon=True).start()
