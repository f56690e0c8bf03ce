#!/usr/bin/env python3
"""A hand-written log loader, the peer tl ingest is measured against.

    loader.py DB FORMAT=FILE [FORMAT=FILE ...]

What an analyst writes in an afternoon with the standard library only:
precompiled regular expressions, json, one SQLite transaction, executemany in
batches, the indexes built after the load. It fills the fields tl fills for
each format (UTC microsecond time, addresses and ports, user, host,
URL/domain, method, status, bytes, action, outcome, message) and keeps the
provenance tl keeps (file, line, byte offset, length, SHA-256 of the raw
record, SHA-256 of the file). It is told each file's format (tl detects it).

FORMAT: squid zeek-tsv zeek-json zeek-dns bind iptables asa vpcflow cef cloudtrail okta
Prints "rows N rejects M" on stdout; exits 1 on a usage error.
"""
import calendar
import hashlib
import json
import re
import sqlite3
import sys

BATCH = 10000

COLUMNS = ("ts", "format", "action", "outcome", "user", "host", "src_ip", "src_port",
           "dst_ip", "dst_port", "proto", "domain", "url", "http_method", "http_status",
           "bytes_in", "bytes_out", "message")
PROV = ("file_id", "line", "offset", "length", "raw_sha256")

SCHEMA = """
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL,
                    size INTEGER, sha256 TEXT, events INTEGER, rejects INTEGER);
CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, format TEXT NOT NULL,
  action TEXT, outcome TEXT, user TEXT, host TEXT, src_ip TEXT, src_port INTEGER,
  dst_ip TEXT, dst_port INTEGER, proto TEXT, domain TEXT, url TEXT, http_method TEXT,
  http_status INTEGER, bytes_in INTEGER, bytes_out INTEGER, message TEXT,
  file_id INTEGER NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL,
  length INTEGER NOT NULL, raw_sha256 TEXT NOT NULL);
"""
# the columns tl indexes (docs/schema.md), built after the load
INDEXES = """
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_user ON events(user) WHERE user IS NOT NULL;
CREATE INDEX events_host ON events(host) WHERE host IS NOT NULL;
CREATE INDEX events_src_ip ON events(src_ip) WHERE src_ip IS NOT NULL;
CREATE INDEX events_dst_ip ON events(dst_ip) WHERE dst_ip IS NOT NULL;
CREATE INDEX events_domain ON events(domain) WHERE domain IS NOT NULL;
CREATE INDEX events_file ON events(file_id, offset);
CREATE INDEX events_line ON events(file_id, line, offset);
"""

MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"), 1)}
_days = {}


def day_us(y, mo, d):
    """Microseconds at 00:00 UTC of a civil date (memoised: logs stay on few days)."""
    k = (y, mo, d)
    v = _days.get(k)
    if v is None:
        v = _days[k] = calendar.timegm((y, mo, d, 0, 0, 0)) * 1000000
    return v


def epoch_us(text):
    """'1795046400.123' -> microseconds, exactly (no float rounding)."""
    sec, _, frac = text.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z")


def iso_us(text):
    m = ISO.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, f = m.groups()
    us = day_us(int(y), int(mo), int(d)) + (int(h) * 3600 + int(mi) * 60 + int(s)) * 1000000
    if f:
        us += int((f + "000000")[:6])
    return us


def intish(v):
    if v is None or v == "" or v == "-":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def nz(v):
    return None if v in (None, "", "-") else v


# ------------------------------------------------------------------ squid
SQUID = re.compile(r"(\d+\.\d+)\s+(\d+) (\S+) ([^/ ]+)/(\d+) (\d+) (\S+) (\S+) (\S+) ([^/ ]+)/(\S+) (\S+)")
URL_HOST = re.compile(r"(?:[a-z]+://)?([^/:?#]+)")


def p_squid(line, st):
    m = SQUID.match(line)
    if not m:
        return None
    ts, _elapsed, cli, code, status, nbytes, method, url, user, _hier, peer, _ctype = m.groups()
    if url.startswith("error:"):
        dom = None
    else:
        h = URL_HOST.match(url)
        dom = h.group(1) if h else None
    return (epoch_us(ts), "squid", code, None, nz(user), None, cli, None, nz(peer), None, None,
            dom, url, nz(method), int(status), int(nbytes), None, code + "/" + status)


# ------------------------------------------------------------------- zeek
def p_zeek_tsv(line, st):
    if line.startswith("#"):
        if line.startswith("#fields\t"):
            st["fields"] = {n: i for i, n in enumerate(line[8:].split("\t"))}
        return "meta"
    f = line.split("\t")
    ix = st["fields"]
    g = lambda n: nz(f[ix[n]]) if f[ix[n]] != "(empty)" else None  # noqa: E731
    if len(f) != len(ix):
        return None
    return (epoch_us(f[ix["ts"]]), "zeek-conn", g("conn_state"), None, None, None,
            g("id.orig_h"), intish(g("id.orig_p")), g("id.resp_h"), intish(g("id.resp_p")),
            g("proto"), None, None, None, None, intish(g("resp_bytes")), intish(g("orig_bytes")),
            g("service"))


def p_zeek_dns(line, st):
    if line.startswith("#"):
        if line.startswith("#fields\t"):
            st["fields"] = {n: i for i, n in enumerate(line[8:].split("\t"))}
        return "meta"
    f = line.split("\t")
    ix = st["fields"]
    if len(f) != len(ix):
        return None
    g = lambda n: nz(f[ix[n]]) if f[ix[n]] != "(empty)" else None  # noqa: E731
    query, qtype, rcode, answers = g("query"), g("qtype_name"), g("rcode_name"), g("answers")
    return (epoch_us(f[ix["ts"]]), "zeek-dns", "query", "success" if rcode == "NOERROR" else "failure", None, None,
            g("id.orig_h"), intish(g("id.orig_p")), g("id.resp_h"), intish(g("id.resp_p")), g("proto"),
            query.lower() if query else None, None, None, None, None, None,
            "%s %s -> %s%s" % (qtype, query, rcode, " " + answers if answers else ""))


def p_zeek_json(line, st):
    d = json.loads(line)
    ts = d["ts"]
    return (epoch_us(repr(ts)) if isinstance(ts, float) else int(ts) * 1000000, "zeek-conn-json",
            d.get("conn_state"), None, None, None, d.get("id.orig_h"), d.get("id.orig_p"),
            d.get("id.resp_h"), d.get("id.resp_p"), d.get("proto"), None, None, None, None,
            d.get("resp_bytes"), d.get("orig_bytes"), d.get("service"))


# ------------------------------------------------------------------- bind
BIND = re.compile(r"(\d\d)-([A-Z][a-z]{2})-(\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) queries: \w+: "
                  r"client @0x[0-9a-f]+ ([0-9a-fA-F.:]+)#(\d+) \(([^)]*)\): query: (\S+) (\S+) (\S+) (\S+) \(([^)]+)\)")


def p_bind(line, st):
    m = BIND.match(line)
    if not m:
        return None
    d, mon, y, h, mi, s, ms, cli, port, _view, qname, _qclass, qtype, flags, server = m.groups()
    ts = day_us(int(y), MONTHS[mon], int(d)) + (int(h) * 3600 + int(mi) * 60 + int(s)) * 1000000 + int(ms) * 1000
    return (ts, "bind-query", "query", None, None, None, cli, int(port), server, 53, None,
            qname.lower(), None, None, None, None, None, qname + " " + qtype + " " + flags)


# ------------------------------------------------------- syslog (RFC 3164)
SYSLOG = re.compile(r"(?:<(\d{1,3})>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ")


def syslog_us(m, year):
    _pri, mon, d, h, mi, s, _host = m.groups()
    return day_us(year, MONTHS[mon], int(d)) + (int(h) * 3600 + int(mi) * 60 + int(s)) * 1000000


# --------------------------------------------------------------- iptables
NETFILTER = re.compile(r"kernel: \[\s*[\d.]+\] (.*?)(IN=\S* .*)")
KV = re.compile(r"([A-Z]+)=(\S*)")


def p_iptables(line, st):
    m = SYSLOG.match(line)
    if not m:
        return None
    n = NETFILTER.match(line, m.end())
    if not n:
        return None
    prefix, rest = n.groups()
    kv = dict(KV.findall(rest))
    p = prefix.upper()
    action = "blocked" if ("BLOCK" in p or "DROP" in p or "DENY" in p or "REJECT" in p or "-D]" in p) else "allowed"
    proto = kv.get("PROTO")
    return (syslog_us(m, st["year"]), "iptables", action, None, None, m.group(7), kv.get("SRC"),
            intish(kv.get("SPT")), kv.get("DST"), intish(kv.get("DPT")), proto.lower() if proto else None,
            None, None, None, None, None, intish(kv.get("LEN")), prefix.strip())


# -------------------------------------------------------------- Cisco ASA
ASA = re.compile(r"%ASA-(\d)-(\d{6}): (.*)")
ASA_BUILT = re.compile(r"Built (?:inbound|outbound) (\w+) connection \d+ for \w+:([0-9a-fA-F.:]+)/(\d+) .*?to \w+:([0-9a-fA-F.:]+)/(\d+)")
ASA_TEARDOWN = re.compile(r"Teardown (\w+) connection \d+ for \w+:([0-9a-fA-F.:]+)/(\d+) to \w+:([0-9a-fA-F.:]+)/(\d+)"
                          r"(?: duration \S+ bytes (\d+))?")
ASA_DENY = re.compile(r"Deny (\w+) src \w+:([0-9a-fA-F.:]+)/(\d+) dst \w+:([0-9a-fA-F.:]+)/(\d+)")


def p_asa(line, st):
    m = SYSLOG.match(line)
    if not m:
        return None
    a = ASA.search(line, m.end())
    if not a:
        return None
    _sev, mid, msg = a.groups()
    nbytes = None
    if mid == "302013":
        c = ASA_BUILT.match(msg)
        if not c:
            return None
        # "for OUTSIDE to INSIDE" of an outbound connection: the inside end opened it
        proto, dst, dport, src, sport = c.groups()
        action, outcome = "open", "success"
    elif mid == "302014":
        c = ASA_TEARDOWN.match(msg)
        if not c:
            return None
        proto, src, sport, dst, dport, nbytes = c.groups()
        action, outcome = "close", "success"
    elif mid == "106023":
        c = ASA_DENY.match(msg)
        if not c:
            return None
        proto, src, sport, dst, dport = c.groups()
        action, outcome = "deny", "failure"
    else:
        return None
    return (syslog_us(m, st["year"]), "cisco-asa", action, outcome, None, m.group(7), src, int(sport), dst,
            int(dport), proto.lower(), None, None, None, None, None, intish(nbytes), msg)


# ---------------------------------------------------------------- VPC flow
VPC_PROTO = {"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"}
VPC_ACTION = {"ACCEPT": ("allow", "success"), "REJECT": ("deny", "failure")}


def p_vpcflow(line, st):
    f = line.split(" ")
    if len(f) != 14 or not f[0].isdigit():
        return None  # the header line of an export is not a flow
    _ver, _acct, eni, src, dst, sport, dport, proto, pkts, nbytes, _start, end, act, status = f
    if status == "NODATA" or status == "SKIPDATA":
        return (int(end) * 1000000, "aws-vpc-flow", "no-data" if status == "NODATA" else "skip-data", "unknown",
                None, eni, None, None, None, None, None, None, None, None, None, None, None, status + " on " + eni)
    action, outcome = VPC_ACTION.get(act, (act.lower(), "unknown"))
    return (int(end) * 1000000, "aws-vpc-flow", action, outcome, None, eni, src, int(sport), dst, int(dport),
            VPC_PROTO.get(proto, proto), None, None, None, None, None, int(nbytes),
            "%s %s %s:%s -> %s:%s %s packets %s bytes on %s" % (act, proto, src, sport, dst, dport, pkts, nbytes, eni))


# -------------------------------------------------------------------- CEF
CEF_HDR = re.compile(r"CEF:\d+\|")
PIPE = re.compile(r"(?<!\\)\|")
EXT = re.compile(r"(\w[\w.\[\]-]*)=((?:\\.|[^\\])*?)(?=\s+\w[\w.\[\]-]*=|\s*$)")
UNESC = re.compile(r"\\(.)")
CEF_DATE = re.compile(r"([A-Z][a-z]{2}) (\d\d) (\d{4}) (\d\d):(\d\d):(\d\d)")
CEF_ACT = {"blocked": "blocked", "block": "blocked", "deny": "blocked", "denied": "blocked", "drop": "blocked",
           "accept": "allowed", "allowed": "allowed", "allow": "allowed", "permit": "allowed",
           "quarantine": "quarantined", "quarantined": "quarantined", "passed": "passed", "pass": "passed"}


def unesc(v):
    return UNESC.sub(r"\1", v) if "\\" in v else v


def p_cef(line, st):
    h = CEF_HDR.search(line)
    if not h:
        return None
    sm = SYSLOG.match(line)
    parts = PIPE.split(line[h.start():], 7)
    if len(parts) != 8:
        return None
    ext = {k: unesc(v) for k, v in EXT.findall(parts[7])}
    rt = ext.get("rt")
    if rt and rt.isdigit():
        ts = int(rt) * 1000
    elif rt and CEF_DATE.match(rt):
        mon, d, y, hh, mi, s = CEF_DATE.match(rt).groups()
        ts = day_us(int(y), MONTHS[mon], int(d)) + (int(hh) * 3600 + int(mi) * 60 + int(s)) * 1000000
    elif sm:
        ts = syslog_us(sm, st["year"])
    else:
        return None
    act = ext.get("act")
    out = ext.get("outcome")
    url = ext.get("request")
    dom = ext.get("dhost")
    if url and not dom:
        u = URL_HOST.match(url)
        dom = u.group(1) if u else None
    host = ext.get("dvchost") or ext.get("deviceExternalId") or ext.get("dvc") or (sm.group(7) if sm else None)
    return (ts, "cef", CEF_ACT.get(act.lower(), act.lower()) if act else None, out.lower() if out else None,
            nz(ext.get("suser")), host, ext.get("src"), intish(ext.get("spt")), ext.get("dst"),
            intish(ext.get("dpt")), ext.get("proto"), dom, url, ext.get("requestMethod"), None,
            intish(ext.get("out")), intish(ext.get("in")), ext.get("msg") or unesc(parts[5]))


# ------------------------------------------------------------- CloudTrail
IPV = re.compile(r"[0-9.]+$|[0-9a-fA-F:]+$")


def p_cloudtrail(line, st):
    d = json.loads(line)
    ts = iso_us(d["eventTime"])
    if ts is None:
        return None
    ui = d.get("userIdentity") or {}
    user = ui.get("userName")
    if not user:
        arn = ui.get("arn")
        user = arn.rsplit("/", 1)[-1] if arn else ui.get("invokedBy")
    src = d.get("sourceIPAddress")
    ip = src if src and IPV.match(src) else None
    failed = "errorCode" in d or "errorMessage" in d
    return (ts, "aws-cloudtrail", d.get("eventName"), "failure" if failed else "success", user,
            d.get("recipientAccountId"), ip, None, None, None, None, d.get("eventSource"), None, None, None,
            None, None, d.get("errorMessage") or d.get("eventName"))


# ------------------------------------------------------------------- Okta
OKTA_OUTCOME = {"SUCCESS": "success", "ALLOW": "success", "FAILURE": "failure", "DENY": "failure"}


def p_okta(line, st):
    d = json.loads(line)
    ts = iso_us(d["published"])
    if ts is None:
        return None
    actor = d.get("actor") or {}
    client = d.get("client") or {}
    outcome = (d.get("outcome") or {}).get("result")
    return (ts, "okta-system-log", d.get("eventType"), OKTA_OUTCOME.get(outcome, "unknown"),
            actor.get("alternateId") or actor.get("displayName"), None, client.get("ipAddress"), None, None,
            None, None, None, None, None, None, None, None, d.get("displayMessage"))


PARSERS = {"squid": p_squid, "zeek-tsv": p_zeek_tsv, "zeek-json": p_zeek_json, "zeek-dns": p_zeek_dns, "bind": p_bind,
           "iptables": p_iptables, "asa": p_asa, "vpcflow": p_vpcflow, "cef": p_cef, "cloudtrail": p_cloudtrail,
           "okta": p_okta}


def load(db, specs):
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA cache_size = -65536")  # 64 MB: the index build sorts 1 M+ keys
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    ins = con.cursor()
    sql = "INSERT INTO events (%s) VALUES (%s)" % (", ".join(COLUMNS + PROV), ", ".join("?" * (len(COLUMNS) + len(PROV))))
    rows = rejects = 0
    sha256 = hashlib.sha256
    for fid, (fmt, path) in enumerate(specs, 1):
        parse = PARSERS[fmt]
        st = {"year": 2026}  # yearless syslog: the year the case is about (tl takes the file's mtime)
        fhash = sha256()
        batch = []
        offset = 0
        nev = nrej = 0
        with open(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                n = len(raw)
                fhash.update(raw)
                rec = raw.rstrip(b"\r\n")
                if not rec:
                    offset += n
                    continue
                try:
                    ev = parse(rec.decode("utf-8", "replace"), st)
                except (ValueError, KeyError, TypeError, IndexError):
                    ev = None
                if ev == "meta":
                    pass
                elif ev is None:
                    nrej += 1
                else:
                    batch.append(ev + (fid, lineno, offset, len(rec), sha256(rec).hexdigest()))
                    if len(batch) >= BATCH:
                        ins.executemany(sql, batch)
                        nev += len(batch)
                        batch = []
                offset += n
        if batch:
            ins.executemany(sql, batch)
            nev += len(batch)
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (fid, path, fmt, offset, fhash.hexdigest(), nev, nrej))
        rows += nev
        rejects += nrej
    for stmt in INDEXES.strip().split(";\n"):
        con.execute(stmt)
    con.execute("COMMIT")
    con.close()
    return rows, rejects


def main(argv):
    if len(argv) < 3 or any("=" not in a or a.split("=", 1)[0] not in PARSERS for a in argv[2:]):
        sys.stderr.write("usage: loader.py DB FORMAT=FILE...  (FORMAT: %s)\n" % " ".join(sorted(PARSERS)))
        return 1
    rows, rejects = load(argv[1], [tuple(a.split("=", 1)) for a in argv[2:]])
    print("rows %d rejects %d" % (rows, rejects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
