#!/usr/bin/env python3
"""Write a small, valid EVTX file from Event XML-like tuples, for fixtures and
fuzz seeds that must not be copied from real evidence.

usage: make-evtx.py OUT.evtx [--corrupt-record N] [--split K] [--truncate BYTES]

Layout as documented by libyal ("Windows XML Event Log (EVTX) format"): a
4096-byte file header, 64 KiB chunks (512-byte header), event records whose
event data is binary XML written with inline names and no templates, which
libevtx renders like any other record. --corrupt-record N overwrites record
N's binary XML (its header and size stay valid) so that it cannot be
rendered; --truncate cuts the file. Checksums are right before corruption.
"""
import struct, sys, zlib

def filetime(s):
    import datetime
    d = datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int((d - datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds() * 10**7)

def name_hash(n):
    h = 0
    for c in n:
        h = (h * 65599 + ord(c)) & 0xffffffff
    return h & 0xffff

def u16s(s):
    return struct.pack("<H", len(s)) + s.encode("utf-16-le")

class Writer:
    def __init__(self, base):
        self.b = bytearray()
        self.base = base  # chunk-relative offset of self.b[0]

    def pos(self):
        return self.base + len(self.b)

    def inline_name(self, n):
        # the name offset points just behind itself: the name follows inline
        self.b += struct.pack("<I", self.pos() + 4)
        self.b += struct.pack("<IHH", 0, name_hash(n), len(n)) + n.encode("utf-16-le") + b"\0\0"

    def value(self, text):
        self.b += b"\x05\x01" + u16s(text)

    def element(self, name, attrs=(), text=None, kids=()):
        start = len(self.b)
        self.b += bytes([0x41 if attrs else 0x01]) + struct.pack("<H", 0xffff)
        size_at = len(self.b)
        self.b += b"\0\0\0\0"
        self.inline_name(name)
        if attrs:
            list_at = len(self.b)
            self.b += b"\0\0\0\0"
            for i, (an, av) in enumerate(attrs):
                self.b += bytes([0x46 if i + 1 < len(attrs) else 0x06])
                self.inline_name(an)
                self.value(av)
            struct.pack_into("<I", self.b, list_at, len(self.b) - list_at - 4)
        if text is None and not kids:
            self.b += b"\x03"
        else:
            self.b += b"\x02"
            if text is not None:
                self.value(text)
            for k in kids:
                self.element(*k)
            self.b += b"\x04"
        struct.pack_into("<I", self.b, size_at, len(self.b) - size_at - 4)
        return start

EVENTS = [
    # (provider, eid, time, record id, computer, [(Data Name, value)])
    ("Microsoft-Windows-Sysmon", "1", "2026-11-19T23:04:55.907000Z", "5120", "WS-0231.corp.example.com", [
        ("RuleName", "-"), ("UtcTime", "2026-11-19 23:04:55.904"),
        ("ProcessGuid", "{4a1f0c2e-9d77-673d-5b01-000000002a00}"), ("ProcessId", "7996"),
        ("Image", "C:\\Windows\\System32\\cmd.exe"), ("FileVersion", "10.0.19041.746 (WinBuild.160101.0800)"),
        ("CommandLine", "cmd.exe /c whoami /all"), ("CurrentDirectory", "C:\\Users\\mchen\\"),
        ("User", "CORP\\mchen"), ("LogonGuid", "{4a1f0c2e-9b10-673d-21a7-3e0000000000}"), ("LogonId", "0x3e7a21"),
        ("TerminalSessionId", "1"), ("IntegrityLevel", "Medium"),
        ("Hashes", "SHA1=99AE9C73E9BEE6F9C76D6F4093A9882DF06832CF,MD5=8A2122E8162DBEF04694B9C3E0B6CDEE,SHA256=B99D61D874728EDC0918CA0EB10EAB93D381E7367E377406E65963366C874450,IMPHASH=272245E2988E1E430500B852C4FB5E18"),
        ("ParentProcessGuid", "{4a1f0c2e-9b12-673d-4c00-000000002a00}"), ("ParentProcessId", "6712"),
        ("ParentImage", "C:\\Windows\\explorer.exe"), ("ParentCommandLine", "C:\\Windows\\Explorer.EXE"),
        ("ParentUser", "CORP\\mchen")]),
    ("Microsoft-Windows-Sysmon", "3", "2026-11-19T23:05:02.113420Z", "5121", "WS-0231.corp.example.com", [
        ("RuleName", "-"), ("UtcTime", "2026-11-19 23:05:01.981"),
        ("ProcessGuid", "{4a1f0c2e-9d77-673d-5b01-000000002a00}"), ("ProcessId", "7996"),
        ("Image", "C:\\Windows\\System32\\cmd.exe"), ("User", "CORP\\mchen"), ("Protocol", "tcp"),
        ("Initiated", "true"), ("SourceIsIpv6", "false"), ("SourceIp", "10.20.1.15"),
        ("SourceHostname", "WS-0231.corp.example.com"), ("SourcePort", "50412"), ("SourcePortName", "-"),
        ("DestinationIsIpv6", "false"), ("DestinationIp", "198.51.100.20"), ("DestinationHostname", "-"),
        ("DestinationPort", "443"), ("DestinationPortName", "https")]),
    # record id 5123: 5122 was never written (a gap tl gaps reports)
    ("Microsoft-Windows-Sysmon", "22", "2026-11-19T23:05:03.500000Z", "5123", "WS-0231.corp.example.com", [
        ("RuleName", "-"), ("UtcTime", "2026-11-19 23:05:03.498"),
        ("ProcessGuid", "{4a1f0c2e-9d77-673d-5b01-000000002a00}"), ("ProcessId", "7996"),
        ("QueryName", "updates.example.org"), ("QueryStatus", "0"),
        ("QueryResults", "type:  5 cdn.example.net;::ffff:198.51.100.20;"),
        ("Image", "C:\\Windows\\System32\\cmd.exe"), ("User", "CORP\\mchen")]),
    ("Microsoft-Windows-Sysmon", "255", "2026-11-19T23:05:04.000000Z", "5124", "WS-0231.corp.example.com", [
        ("UtcTime", "2026-11-19 23:05:04.000"), ("ID", "DriverCommunication"),
        ("Description", "Failed to retrieve events")]),
]

def record(w0, ev):
    prov, eid, t, rid, comp, data = ev
    w = Writer(w0 + 24)
    w.b += b"\x0f\x01\x01\x00"
    system = [("Provider", (("Name", prov),)), ("EventID", (), eid), ("Level", (), "4"),
              ("TimeCreated", (("SystemTime", t),)), ("EventRecordID", (), rid),
              ("Channel", (), prov + "/Operational"), ("Computer", (), comp)]
    sys_k = [(n, a, (x[0] if x else None)) for (n, a, *x) in system]
    data_k = [("Data", (("Name", n),), v) for n, v in data]
    w.element("Event", (("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"),), None,
              [("System", (), None, sys_k), ("EventData", (), None, data_k)])
    w.b += b"\x00"
    body = bytes(w.b)
    size = 24 + len(body) + 4
    return struct.pack("<4sIQQ", b"**\0\0", size, int(rid) - 5119, filetime(t)) + body + struct.pack("<I", size)

def chunk(events, first):
    recs, offs, off = [], [], 512
    for ev in events:
        r = record(off, ev)
        offs.append(off)
        recs.append(r)
        off += len(r)
    data = b"".join(recs)
    last = first + len(recs) - 1
    ch = bytearray(65536)
    ch[0:8] = b"ElfChnk\0"
    struct.pack_into("<QQQQIII", ch, 8, first, last, first, last, 128, offs[-1], off)
    ch[512:512 + len(data)] = data
    struct.pack_into("<I", ch, 52, zlib.crc32(data))
    struct.pack_into("<I", ch, 124, zlib.crc32(bytes(ch[0:120]) + bytes(ch[128:512])))
    return ch, offs

def main():
    out = sys.argv[1]
    opt = lambda k: int(sys.argv[sys.argv.index(k) + 1]) if k in sys.argv else 0
    corrupt, trunc, split = opt("--corrupt-record"), opt("--truncate"), opt("--split")
    # --split K: the first K events in chunk 0, the rest in chunk 1
    groups = [EVENTS[:split], EVENTS[split:]] if split else [EVENTS]
    chunks, offs, first = [], [], 1
    for k, g in enumerate(groups):
        ch, o = chunk(g, first)
        chunks.append(ch)
        offs += [4096 + k * 65536 + x for x in o]
        first += len(g)
    n = len(EVENTS)
    if corrupt:
        o = offs[corrupt - 1] + 24 - 4096
        chunks[o // 65536][o % 65536:o % 65536 + 8] = b"\xff" * 8
    hdr = bytearray(4096)
    hdr[0:8] = b"ElfFile\0"
    struct.pack_into("<QQQIHHHH", hdr, 8, 0, len(chunks) - 1, n + 1, 128, 1, 3, 4096, len(chunks))
    struct.pack_into("<I", hdr, 124, zlib.crc32(bytes(hdr[0:120])))
    blob = bytes(hdr) + b"".join(bytes(c) for c in chunks)
    if trunc:
        blob = blob[:trunc]
    open(out, "wb").write(blob)

main()
