#!/usr/bin/env python3
"""Write a minimal Windows registry hive (REGF) for tests: libregf reads hives
but cannot write them, and mkevidence writes none (docs/evidence.md).

The layout follows the published REGF format (base block, one hbin, nk/lf/vk
cells; libregf's documentation "Windows NT Registry File (REGF) format"):
  make_hive.py OUT KEY=VALUE...      (key paths with '\\', values "name:sz:text" or "name:dword:n")
  make_hive.py OUT 'Microsoft\\ExchangeServer\\v15\\Setup' 'MsiInstallPath:sz:D:\\Exchange\\V15\\' ...
Each positional argument after OUT is either a key path (starts a key) or a
value of the last key. A key path may end with "@FILETIME" to set its last
written time (100 ns ticks since 1601).
"""
import struct
import sys

HBIN = 0x1000


class Cells:
    def __init__(self):
        self.buf = bytearray()

    def add(self, data):
        """Append an allocated cell; return its offset relative to the first hbin."""
        size = (len(data) + 4 + 7) & ~7
        off = 32 + len(self.buf)  # after the hbin header
        self.buf += struct.pack("<i", -size) + data + b"\0" * (size - 4 - len(data))
        return off

    def patch(self, off, data_off, data):
        pos = off - 32 + 4 + data_off
        self.buf[pos:pos + len(data)] = data


class Key:
    def __init__(self, name, time=0):
        self.name, self.time, self.subkeys, self.values = name, time, [], []


def nk(cells, key, parent, root=False):
    name = key.name.encode("ascii")
    flags = 0x2C if root else 0x20  # hive entry + no delete + ASCII name, or ASCII name
    body = b"nk" + struct.pack("<HQIIIIIIIIIIIIIIIHH", flags, key.time, 0, parent, len(key.subkeys), 0,
                               0xFFFFFFFF, 0xFFFFFFFF, len(key.values), 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                               max([len(k.name) * 2 for k in key.subkeys], default=0), 0,
                               max([len(v[0]) * 2 for v in key.values], default=0), 256, 0, len(name), 0) + name
    off = cells.add(body)
    # values
    if key.values:
        offs = []
        for vname, vtype, vdata in key.values:
            n = vname.encode("ascii")
            if vtype == 4:
                vk = b"vk" + struct.pack("<HIIIHH", len(n), 0x80000004, vdata, 4, 1, 0) + n
            else:
                data = (vdata + "\0").encode("utf-16-le")
                doff = cells.add(data)
                vk = b"vk" + struct.pack("<HIIIHH", len(n), len(data), doff, vtype, 1, 0) + n
            offs.append(cells.add(vk))
        lst = cells.add(b"".join(struct.pack("<I", o) for o in offs))
        cells.patch(off, 0x28, struct.pack("<I", lst))
    key.subkeys.sort(key=lambda k: k.name.upper())  # lists are kept in name order
    if key.subkeys:
        child = [nk(cells, k, off) for k in key.subkeys]
        entries = b"".join(struct.pack("<I", o) + k.name.encode("ascii")[:4].ljust(4, b"\0")
                           for o, k in zip(child, key.subkeys))
        lf = cells.add(b"lf" + struct.pack("<H", len(child)) + entries)
        cells.patch(off, 0x1C, struct.pack("<I", lf))
    return off


def build(tree):
    cells = Cells()
    root_off = nk(cells, tree, 0xFFFFFFFF, root=True)
    size = (32 + len(cells.buf) + HBIN - 1) // HBIN * HBIN
    hbin = b"hbin" + struct.pack("<III", 0, size, 0) + struct.pack("<IQI", 0, 0, 0)
    body = hbin + bytes(cells.buf)
    # the rest of the bin: one free cell
    rest = size - len(body)
    if rest:
        body += struct.pack("<i", rest) + b"\0" * (rest - 4)
    base = bytearray(HBIN)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0, 1, 5, 0, 1, root_off, size, 1)
    csum = 0
    for i in range(0, 0x1FC, 4):
        csum ^= struct.unpack_from("<I", base, i)[0]
    csum = 1 if csum == 0 else 0xFFFFFFFE if csum == 0xFFFFFFFF else csum
    struct.pack_into("<I", base, 0x1FC, csum)
    return bytes(base) + body


def main():
    out = sys.argv[1]
    root = Key("ROOT")
    cur = None
    for arg in sys.argv[2:]:
        if ":" in arg and arg.split(":")[1] in ("sz", "dword"):
            name, kind, val = arg.split(":", 2)
            cur.values.append((name, 4, int(val)) if kind == "dword" else (name, 1, val))
            continue
        path, _, t = arg.partition("@")
        node = root
        for part in path.split("\\"):
            nxt = next((k for k in node.subkeys if k.name.lower() == part.lower()), None)
            if not nxt:
                nxt = Key(part)
                node.subkeys.append(nxt)
            node = nxt
        if t:
            node.time = int(t)
        cur = node
    with open(out, "wb") as f:
        f.write(build(root))


if __name__ == "__main__":
    main()
