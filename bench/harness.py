#!/usr/bin/env python3
"""The side-by-side benchmark (issue 15). Run through bench/run, which installs
what is missing and builds tl; see bench/README.md for every contender and why
the comparison is fair.

Every measurement is interleaved (A B C A B C A B C, not AAA BBB) and the
median of the repetitions is reported, so drift of a shared machine falls on
every contender alike. Ratios are tl / peer in THROUGHPUT: above 1 means tl is
faster. A peer whose row count differs from tl's marks the row FAIL and the
run exits 1.
"""
import argparse
import csv
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
GNU_TIME = "/usr/bin/time"

# name -> (gen.c format, evidence file name, loader.py format)
FORMATS = {
    "squid": ("squid", "access.log", "squid"),
    "zeek-tsv": ("zeek-tsv", "conn.log", "zeek-tsv"),
    "zeek-json": ("zeek-json", "conn-json.log", "zeek-json"),
    "zeek-dns": ("zeek-dns", "dns.log", "zeek-dns"),
    "bind": ("bind", "query.log", "bind"),
    "iptables": ("iptables", "kern.log", "iptables"),
    "asa": ("asa", "asa.log", "asa"),
    "vpcflow": ("vpcflow", "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_20261119T0000Z_bench.log", "vpcflow"),
    "cef": ("cef", "cef.log", "cef"),
    "cloudtrail": ("cloudtrail-lines", "cloudtrail-events.jsonl", "cloudtrail"),
    "okta": ("okta", "okta-system-log.jsonl", "okta"),
}
DEFAULT_FORMATS = list(FORMATS) + ["mixed"]
# the network mix lnav is asked about, and the query-latency cases are made of
NET_MIX = ["squid", "zeek-tsv", "bind"]

FAILS = []
NOTES = []
# the phases `tl ingest --timings` prints, in order (docs/commands/ingest.md)
GEN_EPOCH = 1795046400  # bench/gen.c: timestamps start at 2026-11-19T00:00:00Z (+ OFFSET)
PHASES = ["load", "index", "copies", "entities", "correlation", "other", "total"]
TIMING = re.compile(r"^  (%s) +([0-9.]+) +([0-9.]+)$" % "|".join(PHASES), re.M)


def note(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def fail(msg):
    FAILS.append(msg)
    note("FAIL: " + msg)


# ------------------------------------------------------------------ running
class Run:
    """One timed process: wall seconds (monotonic clock around the process),
    user and system CPU seconds and peak RSS (GNU time %U %S %M), exit code.
    phases: for tl ingest, {phase: (CPU s, wall s)} from `tl ingest --timings`."""

    def __init__(self, wall, user, sys_, rss_kb, rc, out):
        self.wall, self.user, self.sys, self.rss_kb, self.rc, self.out = wall, user, sys_, rss_kb, rc, out
        self.phases = {}
        self.timed_out = False

    @property
    def cpu(self):
        return self.user + self.sys


def timed(log, argv, stdout=None, env=None, shell=False, timeout=None):
    """Runs argv under GNU time; stdout to the file `stdout` (or log.out),
    stderr to log.err. Returns a Run. After `timeout` seconds the process
    group is killed and the Run says timed_out (its CPU figures are lost)."""
    tfile = log + ".time"
    out_path = stdout or (log + ".out")
    cmd = [GNU_TIME, "-f", "%e %U %S %M", "-o", tfile, "--"] + (["bash", "-c", argv] if shell else argv)
    timed_out = False
    if os.path.exists(tfile):
        os.unlink(tfile)
    with open(out_path, "wb") as o, open(log + ".err", "wb") as e:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=o, stderr=e, env=env, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            rc = p.wait()
            timed_out = True
        wall = time.monotonic() - t0
    user = sys_ = 0.0
    rss = 0
    try:
        last = open(tfile).read().strip().splitlines()[-1].split()
        user, sys_, rss = float(last[1]), float(last[2]), int(last[3])
    except (OSError, IndexError, ValueError):
        pass
    r = Run(wall, user, sys_, rss, rc, out_path)
    r.timed_out = timed_out
    return r


def capture(argv, env=None):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def have(tool):
    return shutil.which(tool) is not None


# -------------------------------------------------------------------- bench
class Bench:
    def __init__(self, a):
        self.a = a
        self.tl = a.tl
        self.work = a.workdir
        for d in ("bin", "data", "cases", "peers", "logs"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
        self.gen = self.build_gen()
        self.out = []  # markdown lines of the finished sections after ingest
        self.ingest_lines = []  # the ingest table, redrawn after every row
        self.partial = ""
        self.tl_help = capture([self.tl, "help"]).stdout.decode("utf-8", "replace")

    def write(self, partial):
        """Writes the results so far (head + finished sections) and returns the text."""
        a = self.a
        load1 = loadavg()
        rev = capture(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.decode().strip() or "?"
        dirty = capture(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
        ver = capture([a.tl, "--version"]).stdout.decode().strip().splitlines()
        head = ["# tl benchmark results", "",
                "- date: %s" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "- machine: %s" % machine(),
                "- load average (1/5/15 min) at start %s, now %s%s" % (
                    " ".join(self.load0), " ".join(load1),
                    " — the machine was shared: absolute figures are noisy, CPU seconds and ratios less so"
                    if max(float(x) for x in self.load0 + load1) > 1.5 else ""),
                "- tl: %s (rev %s%s), %s" % (a.tl, rev, "+local changes" if dirty else "", ver[0] if ver else "?"),
                "- peers: %s; sqlite3 %s; %s; Python %s" % (
                    lnav_version() or "lnav absent", capture(["sqlite3", "--version"]).stdout.decode().split(" ")[0],
                    "evtxexport " + capture(["evtxexport", "-V"]).stdout.decode().split("\n")[0].split(" ")[-1]
                    if have("evtxexport") else "evtxexport absent", platform.python_version()),
                "- command: `%s` (%.0f s so far)" % (os.environ.get("BENCH_CMDLINE") or " ".join(sys.argv),
                                                  time.monotonic() - self.t0),
                "- seed %d; generated data in %s (not in the repository)" % (a.seed, a.workdir), ""]
        if partial:
            head += ["**INCOMPLETE — %s**" % partial, ""]
        if NOTES:
            head += ["Notes:", ""] + ["- " + n for n in NOTES] + [""]
        if FAILS:
            head += ["**FAILURES (%d):**" % len(FAILS), ""] + ["- " + f for f in FAILS] + [""]
        text = "\n".join(head + self.ingest_lines + self.out) + "\n"
        os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
        with open(a.results + ".tmp", "w") as f:
            f.write(text)
        os.replace(a.results + ".tmp", a.results)
        return text

    # ---------------------------------------------------------- generation
    def build_gen(self):
        src = os.path.join(BENCH, "gen.c")
        h = hashlib.sha256(open(src, "rb").read()).hexdigest()[:12]
        self.gen_hash = h
        exe = os.path.join(self.work, "bin", "gen-" + h)
        if not os.path.exists(exe):
            note("compiling gen.c")
            cc = os.environ.get("CC", "cc")
            subprocess.check_call([cc, "-std=c11", "-O2", "-o", exe + ".tmp", src])
            os.replace(exe + ".tmp", exe)
        return exe

    def data(self, fmt, n, offset=0):
        """Path of FORMATS[fmt]'s generated file with n records (cached),
        starting OFFSET seconds after gen's epoch."""
        g = FORMATS[fmt][0]
        path = os.path.join(self.work, "data", "%s-n%d-s%d-o%d-g%s.log" % (g, n, self.a.seed, offset, self.gen_hash))
        if not os.path.exists(path):
            note("generating %s x %d" % (g, n))
            with open(path + ".tmp", "wb") as o:
                subprocess.check_call([self.gen, g, str(n), str(self.a.seed), str(offset)], stdout=o)
            os.replace(path + ".tmp", path)
        return path

    def inputs(self, fmt, n):
        """[(format, path, evidence name)] for a benchmark row: one file, or
        the mixes (n records split evenly)."""
        if fmt in FORMATS:
            return [(fmt, self.data(fmt, n), FORMATS[fmt][1])]
        parts = list(FORMATS) if fmt == "mixed" else NET_MIX
        each, extra = divmod(n, len(parts))
        return [(f, self.data(f, each + (1 if i < extra else 0)), FORMATS[f][1]) for i, f in enumerate(parts)]

    @staticmethod
    def records(inputs):
        n = 0
        for _, p, _ in inputs:
            with open(p, "rb") as f:
                n += sum(1 for line in f if line.strip() and not line.startswith(b"#"))
        return n

    # --------------------------------------------------------------- tl
    def new_case(self, name, inputs):
        case = os.path.join(self.work, "cases", name)
        shutil.rmtree(case, ignore_errors=True)
        r = capture([self.tl, "init", case])
        if r.returncode != 0:
            raise SystemExit("bench: tl init failed: %s" % r.stderr.decode())
        for _, path, ev in inputs:
            dst = os.path.join(case, "evidence", ev)
            try:
                os.link(path, dst)
            except OSError:
                shutil.copyfile(path, dst)
        return case

    def tl_sql(self, case, q):
        r = capture([self.tl, "sql", case, q])
        if r.returncode != 0:
            return None
        lines = r.stdout.decode().strip().splitlines()
        return lines[1:] if len(lines) > 1 else []

    def tl_count(self, case, q):
        rows = self.tl_sql(case, q)
        try:
            return int(rows[-1])
        except (TypeError, IndexError, ValueError):
            return None

    def tl_ingest(self, case, log, threads=None):
        """tl ingest --timings: the run, and its phases from what it printed
        on stderr (the timings cost two clock reads per phase)."""
        opt = ["--threads", str(threads)] if threads else []
        r = timed(log, [self.tl, "ingest", "--no-progress", "--timings"] + opt + [case])
        err = open(log + ".err", errors="replace").read()
        if r.rc not in (0, 3):
            fail("tl ingest %s exited %d: %s" % (case, r.rc, err[-500:]))
        r.phases = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in TIMING.finditer(err)}
        if r.rc in (0, 3) and set(r.phases) != set(PHASES):
            fail("tl ingest --timings printed phases %s, expected %s" % (sorted(r.phases), " ".join(PHASES)))
        return r

    @staticmethod
    def db_bytes(case):
        return sum(os.path.getsize(os.path.join(case, f)) for f in os.listdir(case) if f.startswith("case.db"))

    # ------------------------------------------------------ sqlite import
    def export_csv(self, case, dest):
        """tl's own rows as CSV, one file per table that has rows, and the DDL
        to rebuild tl's schema. Returns (tables, indexes, rowcounts)."""
        db = os.path.join(case, "case.db")
        os.makedirs(dest, exist_ok=True)
        q = capture(["sqlite3", "-readonly", db, "-separator", "\x1f", "-newline", "\x1e",
                     "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"])
        tables, indexes, counts = [], [], {}
        for rec in q.stdout.decode().split("\x1e"):
            if not rec.strip():
                continue
            typ, name, sql = rec.split("\x1f", 2)
            typ = typ.strip()
            if typ == "table" and not name.startswith("sqlite_") and "VIRTUAL" not in sql.upper()[:30]:
                tables.append((name, sql))
            elif typ in ("index", "view"):
                indexes.append(sql)  # views after the load too: they cost nothing and keep `events` queryable
        for name, _ in tables:
            path = os.path.join(dest, name + ".csv")
            with open(path, "wb") as o:
                subprocess.check_call(["sqlite3", "-readonly", "-csv", db, self.export_select(db, name)], stdout=o)
            if os.path.getsize(path):
                counts[name] = self.tl_count(case, 'SELECT count(*) FROM "%s"' % name)
        return tables, indexes, counts

    @staticmethod
    def export_select(db, name):
        """SELECT * of table NAME, except that a record hash tl keeps as its
        32 bytes (event_rows.raw_sha256) is exported as the lower-case hex the
        events view shows: CSV carries text, and raw bytes (NUL, quotes, CR,
        invalid UTF-8) came back from .import as other values. The import
        then holds the hash as 64 characters, which the events view shows
        unchanged, so both databases give the same events rows (sqlite3 3.40
        has no unhex() to turn it back into bytes)."""
        q = capture(["sqlite3", "-readonly", "-separator", "\x1f", db,
                     "SELECT name FROM pragma_table_info('%s') ORDER BY cid" % name.replace("'", "''")])
        cols = [c for c in q.stdout.decode().split("\n") if c]
        if "raw_sha256" not in cols:
            return 'SELECT * FROM "%s"' % name
        sel = ["CASE WHEN typeof(raw_sha256) = 'blob' THEN lower(hex(raw_sha256)) ELSE raw_sha256 END"
               if c == "raw_sha256" else '"%s"' % c for c in cols]
        return 'SELECT %s FROM "%s"' % (", ".join(sel), name)

    def import_script(self, dest, tables, indexes, counts):
        """The sqlite3 script: tl's tables, .import of each CSV, tl's indexes
        after the load. CSV cannot say NULL, so .import stores '' where tl
        stored NULL; each partial index `WHERE c IS NOT NULL` is given
        `AND c <> ''` so that it holds the same rows as tl's."""
        s = ["PRAGMA journal_mode=OFF;", "PRAGMA synchronous=OFF;", "PRAGMA cache_size=-65536;",
             "PRAGMA page_size=16384;", "BEGIN;"]
        s += [sql.rstrip(";") + ";" for _, sql in tables]
        for name in counts:
            s.append('.import --csv "%s" "%s"' % (os.path.join(dest, name + ".csv"), name))
        for sql in indexes:
            if sql.lstrip().upper().startswith("CREATE INDEX") or sql.lstrip().upper().startswith("CREATE UNIQUE"):
                sql = re.sub(r"WHERE\s+(\w+)\s+IS\s+NOT\s+NULL", r"WHERE \1 IS NOT NULL AND \1 <> ''", sql)
            s.append(sql.rstrip(";") + ";")
        s.append("COMMIT;")
        path = os.path.join(dest, "import.sql")
        open(path, "w").write("\n".join(s) + "\n")
        return path

    # ============================================================ sections
    def section_ingest(self):
        a = self.a
        rows = []
        for fmt in a.formats:
            inputs = self.inputs(fmt, a.size)
            nrec = self.records(inputs)
            raw = sum(os.path.getsize(p) for _, p, _ in inputs)
            for _, p, _ in inputs:  # warm the page cache: every contender reads from memory
                subprocess.call(["cat", p], stdout=subprocess.DEVNULL)
            label = "%s-%d" % (fmt, a.size)
            logp = os.path.join(self.work, "logs", label)
            R = {"cat": [], "tl": [], "py": [], "import": []}
            events = rejects = dbb = None
            py_rows = imp_rows = None
            exp = None
            keep_case = None
            for rep in range(a.reps):
                # cat: the I/O floor
                R["cat"].append(timed("%s.cat.%d" % (logp, rep), ["cat"] + [p for _, p, _ in inputs],
                                      stdout="/dev/null"))
                # tl ingest into a fresh case
                case = self.new_case("%s-r%d" % (label, rep), inputs)
                note("[%s] rep %d/%d: tl ingest" % (label, rep + 1, a.reps))
                r = self.tl_ingest(case, "%s.tl.%d" % (logp, rep))
                R["tl"].append(r)
                if rep == 0:
                    events = self.tl_count(case, "SELECT count(*) FROM events")
                    rejects = self.tl_count(case, "SELECT count(*) FROM rejects")
                    dbb = self.db_bytes(case)
                    exp = os.path.join(self.work, "peers", label + ".csv.d")
                    shutil.rmtree(exp, ignore_errors=True)
                    note("[%s] exporting tl's rows as CSV (not timed)" % label)
                    tables, indexes, counts = self.export_csv(case, exp)
                    script = self.import_script(exp, tables, indexes, counts)
                    keep_case = case
                elif not a.keep_cases:
                    shutil.rmtree(case, ignore_errors=True)
                # the hand-written Python loader
                pydb = os.path.join(self.work, "peers", label + ".py.db")
                for x in (pydb, pydb + "-journal"):
                    if os.path.exists(x):
                        os.unlink(x)
                note("[%s] rep %d/%d: python loader" % (label, rep + 1, a.reps))
                r = timed("%s.py.%d" % (logp, rep), [sys.executable, os.path.join(BENCH, "py", "loader.py"), pydb] +
                          ["%s=%s" % (FORMATS[f][2], p) for f, p, _ in inputs])
                R["py"].append(r)
                m = re.search(r"rows (\d+)", open(r.out).read())
                py_rows = int(m.group(1)) if (m and r.rc == 0) else None
                if r.rc != 0:
                    fail("[%s] python loader exited %d: %s" % (label, r.rc, open("%s.py.%d.err" % (logp, rep)).read()[-400:]))
                os.unlink(pydb) if os.path.exists(pydb) else None
                # sqlite3 .import of tl's own rows into tl's schema
                impdb = os.path.join(self.work, "peers", label + ".import.db")
                if os.path.exists(impdb):
                    os.unlink(impdb)
                note("[%s] rep %d/%d: sqlite3 .import" % (label, rep + 1, a.reps))
                r = timed("%s.import.%d" % (logp, rep), "sqlite3 -bail '%s' < '%s'" % (impdb, script), shell=True)
                R["import"].append(r)
                errs = open("%s.import.%d.err" % (logp, rep)).read()
                if r.rc != 0 or errs.strip():
                    fail("[%s] sqlite3 .import failed (%d): %s" % (label, r.rc, errs[-400:]))
                else:
                    imp_rows = capture(["sqlite3", impdb, "SELECT count(*) FROM events"]).stdout.decode().strip()
                    imp_rows = int(imp_rows) if imp_rows.isdigit() else None
                os.unlink(impdb) if os.path.exists(impdb) else None
            if keep_case and not a.keep_cases and fmt != "mixed":
                shutil.rmtree(keep_case, ignore_errors=True)
            if fmt == "mixed":
                self.mixed_case = keep_case
            shutil.rmtree(exp, ignore_errors=True)
            status = []
            if events is None or rejects is None or events + rejects != nrec:
                status.append("tl %s+%s rejects != %d records" % (events, rejects, nrec))
            if py_rows != events:
                status.append("python rows %s != tl %s" % (py_rows, events))
            if imp_rows != events:
                status.append("import rows %s != tl %s" % (imp_rows, events))
            for s in status:
                fail("[%s] %s" % (label, s))
            rows.append(dict(fmt=fmt, n=nrec, raw=raw, events=events, rejects=rejects, db=dbb,
                             tl=med([x.wall for x in R["tl"]]), tl_cpu=med([x.cpu for x in R["tl"]]),
                             tl_rss=med([x.rss_kb for x in R["tl"]]), py=med([x.wall for x in R["py"]]),
                             py_cpu=med([x.cpu for x in R["py"]]), py_rss=med([x.rss_kb for x in R["py"]]),
                             imp=med([x.wall for x in R["import"]]), imp_cpu=med([x.cpu for x in R["import"]]),
                             cat=med([x.wall for x in R["cat"]]), ok=not status, py_rows=py_rows, imp_rows=imp_rows,
                             phases=phase_medians(R["tl"])))
            note("[%s] tl %.2f s, python %.2f s, import %.2f s, cat %.3f s" %
                 (label, rows[-1]["tl"], rows[-1]["py"] or -1, rows[-1]["imp"] or -1, rows[-1]["cat"]))
            self.ingest_lines = self.ingest_table(rows)
            self.write(self.partial)

    def ingest_table(self, rows):
        a = self.a
        o = []
        o += ["## Ingest, per format (%d records each, median of %d, interleaved)" % (a.size, a.reps), "",
              "Ratios are tl ÷ peer in throughput (events/s): above 1 = tl faster. cat is the I/O floor (below 1 expected).",
              "",
              "| format | records | MB | tl s | tl CPU s | events/s | MB/s | peak RSS MB | DB bytes/event | DB ÷ input "
              "| python s | tl÷python | sqlite3 .import s | tl÷import | cat s | tl÷cat | counts |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
            ev = r["events"] or 0
            o.append("| %s | %d | %.1f | %.2f | %.2f | %s | %.1f | %.0f | %s | %s | %s | %s | %s | %s | %.3f | %s | %s |" % (
                r["fmt"], r["n"], r["raw"] / 1e6, r["tl"], r["tl_cpu"], fint(ev / r["tl"] if r["tl"] else None),
                r["raw"] / 1e6 / r["tl"] if r["tl"] else 0, r["tl_rss"] / 1024,
                "%.0f" % (r["db"] / ev) if ev and r["db"] else "-", "%.2f" % (r["db"] / r["raw"]) if r["db"] else "-",
                f2(r["py"]), ratio(r["py"], r["tl"]), f2(r["imp"]), ratio(r["imp"], r["tl"]),
                r["cat"], ratio(r["cat"], r["tl"]),
                "ok" if r["ok"] else "**FAIL** (tl %s, py %s, import %s)" % (ev, r["py_rows"], r["imp_rows"])))
        o += ["", "CPU seconds (user+sys, median) — steadier than wall time on a shared machine:", "",
              "| format | tl CPU s | python CPU s | tl÷python (CPU) | sqlite3 .import CPU s | tl÷import (CPU) | python peak RSS MB |",
              "|---|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            o.append("| %s | %.2f | %s | %s | %s | %s | %s |" % (
                r["fmt"], r["tl_cpu"], f2(r["py_cpu"]), ratio(r["py_cpu"], r["tl_cpu"]), f2(r["imp_cpu"]),
                ratio(r["imp_cpu"], r["tl_cpu"]), "%.0f" % (r["py_rss"] / 1024) if r["py_rss"] else "-"))
        o.append("")
        o += phase_table(rows, "format", lambda r: r["fmt"])
        return o

    # ------------------------------------------------------------- lnav
    def lnav_query(self, ip):
        q = ("SELECT log_time, 'squid' AS src, c_ip AS a, peer AS b FROM squid_native_log WHERE c_ip = '{0}' OR peer = '{0}' "
             "UNION ALL SELECT log_time, 'conn', bro_id_orig_h, bro_id_resp_h FROM bro_conn_log "
             "WHERE bro_id_orig_h = '{0}' OR bro_id_resp_h = '{0}' "
             "UNION ALL SELECT log_time, 'dns', c_ip, server FROM bind_query_log WHERE c_ip = '{0}' OR server = '{0}' "
             "ORDER BY log_time").format(ip)
        return q

    def section_lnav(self):
        a = self.a
        if not have("lnav"):
            fail("lnav not installed (apt-get install lnav): the cold/warm question was not asked")
            return
        inputs = self.inputs("net", a.lnav_lines)
        nrec = self.records(inputs)
        for _, p, _ in inputs:
            subprocess.call(["cat", p], stdout=subprocess.DEVNULL)
        # the two addresses asked about: the busiest clients in the proxy log
        # (counted on its first 100 000 lines, not timed)
        counts = {}
        with open(inputs[0][1], "rb") as f:
            for i, line in enumerate(f):
                if i >= 100000:
                    break
                parts = line.split()
                if len(parts) > 2:
                    counts[parts[2]] = counts.get(parts[2], 0) + 1
        top = sorted(counts, key=lambda k: (-counts[k], k))
        ip_x, ip_y = top[0].decode(), top[1].decode()
        home = os.path.join(self.work, "lnav-home")
        shutil.rmtree(home, ignore_errors=True)
        fdir = os.path.join(home, "lnav", "formats", "bench")
        os.makedirs(fdir)
        for f in os.listdir(os.path.join(BENCH, "lnav", "formats", "bench")):
            shutil.copy(os.path.join(BENCH, "lnav", "formats", "bench", f), fdir)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home, TZ="UTC")
        logp = os.path.join(self.work, "logs", "lnav")
        files = [p for _, p, _ in inputs]

        def lnav(ip, rep, kind):
            csvp = "%s.%s.%d.csv" % (logp, kind, rep)
            if os.path.exists(csvp):
                os.unlink(csvp)
            r = timed("%s.%s.%d" % (logp, kind, rep),
                      ["lnav", "-n", "-c", ";" + self.lnav_query(ip), "-c", ":write-csv-to " + csvp] + files,
                      stdout="/dev/null", env=env)
            err = open("%s.%s.%d.err" % (logp, kind, rep), encoding="utf-8", errors="replace").read()
            if r.rc != 0 or "error" in err or not os.path.exists(csvp):
                fail("lnav %s failed (%d): %s" % (kind, r.rc, err[-400:]))
                return r, None
            with open(csvp, newline="") as f:
                return r, sum(1 for _ in csv.reader(f)) - 1

        def tl_timeline(case, ip, rep, kind):
            outp = "%s.tl-%s.%d.csv" % (logp, kind, rep)
            r = timed("%s.tl-%s.%d" % (logp, kind, rep),
                      [self.tl, "timeline", case, "--entity", "ip:" + ip, "--output", "csv"], stdout=outp)
            if r.rc != 0:
                fail("tl timeline %s failed (%d)" % (kind, r.rc))
                return r, None
            with open(outp, newline="") as f:
                return r, sum(1 for _ in csv.reader(f)) - 1

        cold = {"lnav": [], "tl": [], "tl_ing": []}
        warm = {"lnav": [], "tl": []}
        n_l = n_t = n_lw = n_tw = None
        case = None
        for rep in range(a.reps):
            note("[lnav] rep %d/%d: lnav cold, %d lines" % (rep + 1, a.reps, nrec))
            r, n_l = lnav(ip_x, rep, "cold")
            cold["lnav"].append(r)
            note("[lnav] rep %d/%d: tl ingest + timeline" % (rep + 1, a.reps))
            if case:
                shutil.rmtree(case, ignore_errors=True)
            case = self.new_case("lnav-question-r%d" % rep, inputs)
            ri = self.tl_ingest(case, "%s.tl-ingest.%d" % (logp, rep))
            rt, n_t = tl_timeline(case, ip_x, rep, "cold")
            cold["tl"].append(Run(ri.wall + rt.wall, ri.user + rt.user, ri.sys + rt.sys, max(ri.rss_kb, rt.rss_kb), 0, None))
            cold["tl_ing"].append(ri)
        for rep in range(a.reps):
            note("[lnav] rep %d/%d: second question (warm)" % (rep + 1, a.reps))
            r, n_lw = lnav(ip_y, rep, "warm")
            warm["lnav"].append(r)
            r, n_tw = tl_timeline(case, ip_y, rep, "warm")
            warm["tl"].append(r)
        if not a.keep_cases and case:
            shutil.rmtree(case, ignore_errors=True)
        ok_c = n_l is not None and n_l == n_t
        ok_w = n_lw is not None and n_lw == n_tw
        if not ok_c:
            fail("lnav cold rows %s != tl rows %s (ip %s)" % (n_l, n_t, ip_x))
        if not ok_w:
            fail("lnav warm rows %s != tl rows %s (ip %s)" % (n_lw, n_tw, ip_y))
        lc, tc = med([x.wall for x in cold["lnav"]]), med([x.wall for x in cold["tl"]])
        lw, tw = med([x.wall for x in warm["lnav"]]), med([x.wall for x in warm["tl"]])
        lcc, tcc = med([x.cpu for x in cold["lnav"]]), med([x.cpu for x in cold["tl"]])
        lwc, twc = med([x.cpu for x in warm["lnav"]]), med([x.cpu for x in warm["tl"]])
        self.lnav_res = (lc, tc, lw, tw)
        self.out += ["## The same question from cold and warm: tl beside lnav %s" % lnav_version(), "",
                     "%d lines (Squid access.log, Zeek conn.log TSV, BIND query log, equal thirds); question: every "
                     "event where an address is source or destination, in time order, as CSV. lnav: `lnav -n -c ';SELECT … UNION ALL …' "
                     "-c ':write-csv-to …'` with the Squid and BIND formats from bench/lnav/formats (lnav 0.11 has none "
                     "for them; Zeek TSV is built in). tl: `tl ingest` + `tl timeline --entity ip:X --output csv`. "
                     "Warm: a second address on the data already loaded (lnav loads the files again: it keeps no index "
                     "between runs; tl answers from the case database)." % nrec, "",
                     "| question | rows | lnav s | lnav CPU s | lnav peak RSS MB | tl s | tl CPU s | tl peak RSS MB "
                     "| tl ÷ lnav time | lnav ÷ tl (speed-up) | same, CPU | counts |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
                     "| cold: ingest + timeline of %s | %s | %s | %s | %s | %s (ingest %s) | %s | %s | %s | %s | %s | %s |" % (
                         ip_x, n_t, f2(lc), f2(lcc), mb(med([x.rss_kb for x in cold["lnav"]])), f2(tc),
                         f2(med([x.wall for x in cold["tl_ing"]])), f2(tcc), mb(med([x.rss_kb for x in cold["tl"]])),
                         "%.2f" % (tc / lc) if lc and tc else "-", ratio(lc, tc), ratio(lcc, tcc),
                         "ok" if ok_c else "**FAIL** (lnav %s)" % n_l),
                     "| warm: timeline of %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                         ip_y, n_tw, f2(lw), f2(lwc), mb(med([x.rss_kb for x in warm["lnav"]])), f3(tw), f3(twc),
                         mb(med([x.rss_kb for x in warm["tl"]])), "%.4f" % (tw / lw) if lw and tw else "-",
                         ratio(lw, tw), ratio(lwc, twc), "ok" if ok_w else "**FAIL** (lnav %s)" % n_lw), ""]

    # ----------------------------------------------------------- queries
    def section_query(self, sizes):
        a = self.a
        graph = re.search(r"^\s+graph\s", self.tl_help, re.M) is not None
        chain = re.search(r"^\s+chain\s", self.tl_help, re.M) is not None
        rows = []
        for n in sizes:
            inputs = self.inputs("net", n)
            label = "query-%d" % n
            logp = os.path.join(self.work, "logs", label)
            case = self.new_case(label, inputs)
            note("[%s] building the case (tl ingest, %d events)" % (label, n))
            ri = self.tl_ingest(case, logp + ".ingest")
            qs = self.address_questions(case) + self.user_questions(case, graph, chain)
            res = {q[0]: [] for q in qs}
            checks = {}
            slow = set()  # questions that timed out: not asked again
            for rep in range(a.reps):
                for i, (name, argv, _, shell) in enumerate(qs):
                    if name in slow:
                        continue
                    r = timed("%s.q%d.%d" % (logp, i, rep), argv, shell=shell, timeout=a.question_timeout)
                    res[name].append(r)
                    if r.timed_out:
                        slow.add(name)
                        fail("[%s] %s gave no answer within %d s (killed)" % (label, name, a.question_timeout))
                    elif r.rc != 0:
                        fail("[%s] %s exited %d: %s" % (label, name, r.rc, open(r.out[:-4] + ".err").read()[-300:]))
                    checks[name] = r.out
            for name, _, check, _ in qs:
                if name in slow:
                    rows.append((n, name, float(a.question_timeout), None, None, "timed out (> %d s)" % a.question_timeout,
                                 False))
                    continue
                got, ok = check(checks.get(name))
                if not ok:
                    fail("[%s] %s: %s" % (label, name, got))
                bad = [x.rc for x in res[name] if x.rc != 0 and not (x.rc == 141 or x.rc == -13)]
                if bad:  # already a FAIL above; the row says so too
                    got, ok = "exit %d" % bad[0], False
                rows.append((n, name, med([x.wall for x in res[name]]), med([x.cpu for x in res[name]]),
                             med([x.rss_kb for x in res[name]]), got, ok))
            rows.append((n, "(case built by tl ingest in %.1f s wall, %.1f CPU s: %s events/s)" % (
                ri.wall, ri.cpu, fint(n / ri.wall)), None, None, None, None, True))
            self.query_phases = getattr(self, "query_phases", []) + [dict(n=n, phases=ri.phases)]
            if not a.keep_cases:
                shutil.rmtree(case, ignore_errors=True)
        self.out += ["## Question latency on a built case (median of %d)" % a.reps, "",
                     "Cases of the network mix (Squid, Zeek conn, BIND in equal thirds; 30 % of the Squid lines "
                     "name a user, whose proxy authentication binds the client address to the user, so Zeek and BIND "
                     "events of that address are attributed to the user). Asked about: the busiest address (ip) and the "
                     "busiest user by named events; `--from`/`--to` is the first hour of the data. lines out: the "
                     "lines printed, checked against the case's own counts (timeline: the user's named events plus "
                     "those attributed to the user; entities: one line per user entity plus the header; graph: the "
                     "nodes of the JSON)." + ("" if graph else " `tl graph` is not in this build (skipped).")
                     + ("" if chain else " `tl chain` is not in this build (skipped)."), "",
                     "| case events | question | wall ms | CPU ms | peak RSS MB | lines out | check |",
                     "|---:|---|---:|---:|---:|---:|---|"]
        for n, name, w, c, rss, got, ok in rows:
            if w is None:
                self.out.append("| %d | %s | | | | | |" % (n, name))
            else:
                self.out.append("| %d | `%s` | %s%.0f | %s | %s | %s | %s |" % (
                    n, name, "> " if c is None else "", w * 1000, "-" if c is None else "%.0f" % (c * 1000), mb(rss), got,
                    "ok" if ok else "**FAIL**"))
        self.out.append("")
        self.out += phase_table(self.query_phases[-len(sizes):], "case events", lambda r: r["n"])

    def address_questions(self, case):
        """[(name, argv, check, shell)]: the busiest address's first page and full timeline."""
        ip = (self.tl_sql(case, "SELECT src_ip FROM events WHERE src_ip IS NOT NULL GROUP BY src_ip "
                          "ORDER BY count(*) DESC, src_ip LIMIT 1") or ["?"])[-1]
        total = self.tl_count(case, "SELECT count(*) FROM events WHERE src_ip = '%s' OR dst_ip = '%s'" % (ip, ip))
        return [("tl timeline --entity ip:%s --limit 50 (first page)" % ip,
                 [self.tl, "timeline", case, "--entity", "ip:" + ip, "--limit", "50", "--no-header"],
                 lines_check(min(50, total or 0)), False),
                ("tl timeline --entity ip:%s (all %s events)" % (ip, total),
                 [self.tl, "timeline", case, "--entity", "ip:" + ip, "--no-header"], lines_check(total), False)]

    def user_questions(self, case, graph, chain):
        """[(name, argv, check, shell)]: correlation questions about the busiest user."""
        user = (self.tl_sql(case, "SELECT user FROM events WHERE user IS NOT NULL GROUP BY user "
                            "ORDER BY count(*) DESC, user LIMIT 1") or ["?"])[-1]
        named = self.tl_count(case, "SELECT count(*) FROM events WHERE user = '%s'" % user) or 0
        attributed = self.tl_count(case, "SELECT count(*) FROM attributions WHERE kind = 'user' AND value = '%s'" % user) or 0
        users = self.tl_count(case, "SELECT count(*) FROM entities WHERE type = 'user'")
        nbind = self.tl_count(case, "SELECT count(*) FROM bindings") or 0
        first = self.tl_count(case, "SELECT min(ts) FROM events")
        t0 = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime((first or 0) // 1000000))
        t1 = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime((first or 0) // 1000000 + 3600))
        q = lambda s: "'" + s.replace("'", "'\\''") + "'"  # noqa: E731
        qs = [("tl timeline --entity user:%s --limit 50 (attributed first page)" % user,
               [self.tl, "timeline", case, "--entity", "user:" + user, "--limit", "50", "--no-header"],
               lines_check(min(50, named + attributed)), False),
              ("tl timeline --entity user:%s --output jsonl (%d named + %d attributed)" % (user, named, attributed),
               [self.tl, "timeline", case, "--entity", "user:" + user, "--output", "jsonl"],
               lines_check(named + attributed), False)]
        if graph:
            qs.append(("tl graph --entity user:%s --depth 2 --from %s --to %s --output json" % (user, t0, t1),
                       [self.tl, "graph", case, "--entity", "user:" + user, "--depth", "2", "--from", t0, "--to", t1,
                        "--output", "json"], graph_check, False))
        if chain:
            qs.append(("tl chain --entity user:%s" % user, [self.tl, "chain", case, "--entity", "user:" + user],
                       lines_check(None), False))
        qs.append(("tl entities --type user", [self.tl, "entities", case, "--type", "user"],
                   lines_check(users + 1 if users is not None else None), False))
        # the first page as a pager shows it: tl stops when head has read 50 bindings (SIGPIPE)
        qs.append(("tl bindings (first page: the header and 50 of %d, through head -n 51)" % nbind,
                   "%s bindings %s | head -n 51" % (q(self.tl), q(case)), lines_check(min(51, nbind + 1)), True))
        return qs

    # ----------------------------------------------------------- scaling
    def section_threads(self):
        """--threads 1 against --threads 2 on the same input, interleaved, by
        the clock (the issue's ≥ 1.6× target), and the events of both runs
        compared, which must be identical."""
        a = self.a
        rows = []
        q = "SELECT count(*), sum(ts), sum(length(extra)), sum(line) FROM events"
        for fmt in a.threads_formats:
            inputs = self.inputs(fmt, a.size)
            for _, p, _ in inputs:
                subprocess.call(["cat", p], stdout=subprocess.DEVNULL)
            label = "%s-%d" % (fmt, a.size)
            logp = os.path.join(self.work, "logs", label + ".threads")
            R = {1: [], 2: []}
            same = True
            for rep in range(a.reps):
                seen = {}
                for t in (1, 2):
                    case = self.new_case("%s-t%d-r%d" % (label, t, rep), inputs)
                    note("[%s] rep %d/%d: tl ingest --threads %d" % (label, rep + 1, a.reps, t))
                    R[t].append(self.tl_ingest(case, "%s.%d.%d" % (logp, t, rep), threads=t))
                    seen[t] = capture([self.tl, "sql", case, q]).stdout
                    shutil.rmtree(case, ignore_errors=True)
                same = same and seen[1] == seen[2]
            if not same:
                fail("[%s] --threads 1 and 2 stored different events" % label)
            w1, w2 = med([x.wall for x in R[1]]), med([x.wall for x in R[2]])
            rows.append("| %s | %d | %.2f | %.2f | %.2f | %.2f | %s | %s |" % (
                fmt, a.size, w1, w2, med([x.cpu for x in R[1]]), med([x.cpu for x in R[2]]),
                ratio(w1, w2), "same" if same else "DIFFER"))
        self.out += ["## Two threads against one (median of %d, interleaved)" % a.reps, "",
                     "Ratio: wall time with `--threads 1` ÷ with `--threads 2` (above 1 = two threads faster).", "",
                     "| format | records | wall s, 1 thread | wall s, 2 threads | CPU s, 1 | CPU s, 2 | speed-up | events |",
                     "|---|---:|---:|---:|---:|---:|---:|---|"] + rows + [""]
        self.write(self.partial)

    def section_incremental(self):
        """The issue's "+1 % costs ≤ 3 %": a case of --size records, then a
        file of 1 % more from the same source, later in time, ingested into
        it; once starting 10 s after the case's last record, once touching it
        (within copies' 2 s tolerance, as rotated logs do). CPU of the second
        ingest ÷ CPU of the first."""
        a = self.a
        rows = []
        for fmt in a.incremental_formats:
            base = self.inputs(fmt, a.size)
            label = "%s-%d" % (fmt, a.size)
            logp = os.path.join(self.work, "logs", label + ".incr")
            for gap, what in ((10, "10 s after"), (1, "touching (1 s)")):
                R0, R1, path = [], [], "-"
                for rep in range(a.reps):
                    case = self.new_case("%s-incr-%d-r%d" % (label, gap, rep), base)
                    note("[%s] rep %d/%d: the case, then +1 %% %s" % (label, rep + 1, a.reps, what))
                    R0.append(self.tl_ingest(case, "%s.%d.base.%d" % (logp, gap, rep)))
                    last = self.tl_count(case, "SELECT max(ts) / 1000000 FROM events")
                    if last is None:
                        fail("[%s] no events after the first ingest" % label)
                        break
                    add = self.data(fmt, max(1, a.size // 100), last - GEN_EPOCH + gap)
                    dst = os.path.join(case, "evidence", "add-" + FORMATS[fmt][1])
                    shutil.copyfile(add, dst)
                    R1.append(self.tl_ingest(case, "%s.%d.add.%d" % (logp, gap, rep)))
                    m = re.search(r"^correlation: (.*)$", open("%s.%d.add.%d.err" % (logp, gap, rep)).read(), re.M)
                    path = m.group(1) if m else "-"
                    if not a.keep_cases:
                        shutil.rmtree(case, ignore_errors=True)
                if not R1:
                    continue
                c0, c1 = med([x.cpu for x in R0]), med([x.cpu for x in R1])
                p1 = phase_medians(R1)
                rows.append("| %s | %d | %s | %.2f | %.2f | %.1f %% | %s | %s |" % (
                    fmt, a.size, what, c0, c1, 100.0 * c1 / c0 if c0 else 0,
                    " / ".join("%s %.2f" % (k, p1[k][0]) for k in PHASES[:-1] if k in p1 and p1[k][0] >= 0.01), path))
        self.out += ["## Adding 1 %% to a case (median of %d)" % a.reps, "",
                     "CPU seconds (user + system) of the first ingest and of the second, which adds a file of 1 % more "
                     "records from the same source, later in time. Target: ≤ 3 %.", "",
                     "| format | case records | the new file starts | CPU s, case | CPU s, +1 % | ratio | phases of the +1 % (CPU s) | correlation |",
                     "|---|---:|---|---:|---:|---:|---|---|"] + rows + [""]
        self.write(self.partial)

    def section_scale(self):
        a = self.a
        rows = []
        prev = None  # (events, DB bytes, peak RSS kB) of the last size run: the next one is extrapolated from it
        for n in a.scale:
            why = scale_fits(self.work, n, prev, self.gen_hash, a.seed)
            if why:
                fail("[scale %d] not run: %s" % (n, why))
                continue
            inputs = self.inputs("squid", n)
            subprocess.call(["cat", inputs[0][1]], stdout=subprocess.DEVNULL)
            case = self.new_case("scale-%d" % n, inputs)
            note("[scale] tl ingest of %d Squid lines" % n)
            r = self.tl_ingest(case, os.path.join(self.work, "logs", "scale-%d" % n))
            ev = self.tl_count(case, "SELECT count(*) FROM events")
            if ev != n:
                fail("[scale %d] tl stored %s events" % (n, ev))
            rows.append((n, os.path.getsize(inputs[0][1]), r, ev, self.db_bytes(case)))
            prev = (n, rows[-1][4], r.rss_kb)
            self.scale_phases = getattr(self, "scale_phases", []) + [dict(n=n, phases=r.phases)]
            if not a.keep_cases:
                shutil.rmtree(case, ignore_errors=True)
        self.out += ["## Scaling: Squid, one run each", "",
                     "vs first: throughput relative to the first size (the target: a drop under 20 % from 1 M to 50 M "
                     "events); per CPU second is the steadier figure on a shared machine.", "",
                     "| events | MB | tl s | CPU s | events/s | vs first | events per CPU s | vs first (CPU) "
                     "| peak RSS MB | DB bytes/event | DB GB |",
                     "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        base = base_cpu = None
        for n, raw, r, ev, dbb in rows:
            rate = n / r.wall if r.wall else 0
            rate_cpu = n / r.cpu if r.cpu else 0
            base = base or rate
            base_cpu = base_cpu or rate_cpu
            self.out.append("| %d | %.0f | %.1f | %.1f | %s | %.2f | %s | %.2f | %s | %.0f | %.1f |" % (
                n, raw / 1e6, r.wall, r.cpu, fint(rate), rate / base if base else 0, fint(rate_cpu),
                rate_cpu / base_cpu if base_cpu else 0, mb(r.rss_kb), dbb / max(ev or 1, 1), dbb / 1e9))
        self.out.append("")
        self.out += phase_table(getattr(self, "scale_phases", []), "events", lambda r: r["n"])

    # -------------------------------------------------------------- EVTX
    def section_evtx(self):
        a = self.a
        src = a.evtx or default_evtx()
        files = []
        for s in src:
            if os.path.isdir(s):
                files += sorted(os.path.join(s, f) for f in os.listdir(s) if f.lower().endswith(".evtx"))
            elif os.path.exists(s):
                files.append(s)
        if not files:
            fail("no EVTX files found (%s)" % " ".join(src))
            return
        indir = os.path.join(self.work, "evtx-in")
        shutil.rmtree(indir, ignore_errors=True)
        os.makedirs(indir)
        names = []
        for i, f in enumerate(files):
            dst = os.path.join(indir, "%03d-%s" % (i, os.path.basename(f)))
            shutil.copyfile(f, dst)
            names.append(dst)
        nbytes = sum(os.path.getsize(f) for f in names)
        logp = os.path.join(self.work, "logs", "evtx")
        q = lambda s: "'" + s.replace("'", "'\\''") + "'"  # noqa: E731
        flist = " ".join(q(f) for f in names)
        peers = []
        if have("evtxexport"):
            peers.append(("evtxexport -f xml (libevtx-utils)", "for f in %s; do evtxexport -f xml \"$f\" || exit; done" % flist))
        else:
            fail("evtxexport not installed (apt-get install libevtx-utils)")
        if any(f.startswith(os.path.join(ROOT, "fixtures")) for f in files):
            # the repository's fixture is synthetic: python-evtx stops on it (KeyError: 60)
            NOTES.append("EVTX: python-evtx is not run on the repository's synthetic fixture (it cannot read it); "
                         "the real-world corpus (../shared/corpus/edr/*_evtx) is absent on this machine")
        elif have("evtx_dump.py"):
            peers.append(("evtx_dump.py (python3-evtx)", "for f in %s; do evtx_dump.py \"$f\" || exit; done" % flist))
        else:
            fail("evtx_dump.py not installed (apt-get install python3-evtx)")
        R = {"tl": []}
        R.update({p[0]: [] for p in peers})
        counts = {}
        case = None
        for rep in range(a.reps):
            if case:
                shutil.rmtree(case, ignore_errors=True)
            case = self.new_case("evtx-r%d" % rep, [(None, f, os.path.basename(f)) for f in names])
            R["tl"].append(self.tl_ingest(case, "%s.tl.%d" % (logp, rep)))
            counts["tl"] = self.tl_count(case, "SELECT count(*) FROM events")
            for i, (name, cmd) in enumerate(peers):
                r = timed("%s.p%d.%d" % (logp, i, rep), cmd, shell=True)
                R[name].append(r)
                counts[name] = count_xml_events(r.out) if r.rc == 0 else None
                if r.rc != 0:
                    fail("EVTX: %s exited %d: %s" % (name, r.rc, open("%s.p%d.%d.err" % (logp, i, rep), errors="replace").read()[-300:]))
        if not a.keep_cases and case:
            shutil.rmtree(case, ignore_errors=True)
        self.out += ["## EVTX: %d files, %.1f MB (median of %d)" % (len(names), nbytes / 1e6, a.reps), "",
                     "Each peer prints every record as XML (output discarded after counting `<Event ` elements); tl parses, "
                     "maps and stores. Ratios are tl ÷ peer in records/s.", "",
                     "| tool | records | wall s | CPU s | records/s | MB/s | peak RSS MB | tl ÷ tool | counts |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        tl_w = med([x.wall for x in R["tl"]])
        for name in R:
            w = med([x.wall for x in R[name]])
            n = counts.get(name)
            ok = n == counts.get("tl")
            if not ok:
                fail("EVTX: %s printed %s records, tl stored %s" % (name, n, counts.get("tl")))
            self.out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                "tl ingest" if name == "tl" else name, n, f2(w), f2(med([x.cpu for x in R[name]])),
                fint(n / w if n and w else None), "%.1f" % (nbytes / 1e6 / w) if w else "-",
                mb(med([x.rss_kb for x in R[name]])), "" if name == "tl" else ratio(w, tl_w),
                "ok" if ok else "**FAIL**"))
        self.out.append("")


# ------------------------------------------------------------------ helpers
SQUID_LINE = 135  # bytes per generated Squid line (gen.c, seed 1: 134.9 MB per million)


def scale_fits(work, n, prev, gen_hash, seed):
    """Why a scaling run of n Squid lines cannot run here, or None. Disk: the
    generated file (unless cached) and the case, extrapolated from the last
    size run (else 1 000 bytes/event), plus a quarter for SQLite's sort files
    and the WAL; memory: the last run's peak RSS grown in proportion to the
    events (pessimistic: a bounded ingest stays flat) against MemAvailable."""
    per_event, rss_per_event = 1000.0, None
    if prev:
        per_event = prev[1] / max(prev[0], 1)
        rss_per_event = prev[2] * 1024.0 / max(prev[0], 1)
    data = os.path.join(work, "data", "squid-n%d-s%d-g%s.log" % (n, seed, gen_hash))
    need = (0 if os.path.exists(data) else n * SQUID_LINE) + n * per_event * 1.25
    free = shutil.disk_usage(work).free
    if need > free:
        return ("needs ~%.0f GB of disk in %s (the Squid file and a case of ~%.0f bytes/event, with sort space), "
                "%.0f GB free" % (need / 1e9, work, per_event, free / 1e9))
    avail = meminfo("MemAvailable")
    if rss_per_event and avail and n * rss_per_event > 0.8 * avail:
        return ("peak RSS extrapolated from the last size run: ~%.1f GB, more than 80 %% of the %.1f GB of memory "
                "available" % (n * rss_per_event / 1e9, avail / 1e9))
    return None


def meminfo(key):
    """A /proc/meminfo figure in bytes, or None."""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def lines_check(expect):
    """A check of a question's output file: its line count equals EXPECT
    (None: any count)."""
    def check(path):
        if not path or not os.path.exists(path):
            return "no output", False
        with open(path, "rb") as f:
            got = sum(1 for _ in f)
        return (got, True) if expect is None or got == expect else ("%d lines, expected %s" % (got, expect), False)
    return check


def graph_check(path):
    """A Cytoscape JSON graph: the number of nodes, at least one (the pivot)."""
    try:
        els = json.load(open(path))["elements"]
        nodes = els["nodes"] if isinstance(els, dict) else [e for e in els if e.get("group") == "nodes"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "not a Cytoscape JSON graph", False
    return ("%d nodes" % len(nodes), True) if nodes else ("no nodes", False)


def phase_medians(runs):
    """{phase: (median CPU s, median wall s)} over the runs' --timings."""
    out = {}
    for p in PHASES:
        cpu = med([x.phases[p][0] for x in runs if p in x.phases])
        wall = med([x.phases[p][1] for x in runs if p in x.phases])
        if cpu is not None:
            out[p] = (cpu, wall)
    return out


def phase_table(rows, head, key):
    """Markdown: where tl ingest's CPU went, per row (from `tl ingest --timings`)."""
    o = ["Where tl ingest's time goes (`tl ingest --timings`, CPU seconds = user + system of every thread, median; "
         "the share of the total in brackets). load: reading, parsing and storing; index: the query-index build; "
         "copies, entities, correlation: the correlation passes at the end of every ingest; other: start-up, "
         "definitions, closing the database.", "",
         "| %s | %s | wall s (total) |" % (head, " | ".join(PHASES)),
         "|---|" + "---:|" * (len(PHASES) + 1)]
    for r in rows:
        ph = r.get("phases") or {}
        tot = ph.get("total", (0, 0))[0]
        cells = []
        for p in PHASES:
            if p not in ph:
                cells.append("-")
            elif p == "total" or not tot:
                cells.append("%.2f" % ph[p][0])
            else:
                cells.append("%.2f (%.0f %%)" % (ph[p][0], 100 * ph[p][0] / tot))
        o.append("| %s | %s | %s |" % (key(r), " | ".join(cells), f2(ph["total"][1]) if "total" in ph else "-"))
    o.append("")
    return o


def count_xml_events(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            n += line.count(b"<Event ") + line.count(b"<Event>")
    return n


def smallest(paths, budget):
    """The smallest .evtx files under paths whose sizes add up to at most
    budget bytes (at least one)."""
    files = []
    for s in paths:
        if os.path.isdir(s):
            files += [os.path.join(s, f) for f in os.listdir(s) if f.lower().endswith(".evtx")]
        elif os.path.exists(s):
            files.append(s)
    files.sort(key=lambda f: (os.path.getsize(f), f))
    out, total = [], 0
    for f in files:
        if out and total + os.path.getsize(f) > budget:
            break
        out.append(f)
        total += os.path.getsize(f)
    return out


def default_evtx():
    corpus = os.path.join(ROOT, "..", "shared", "corpus", "edr")
    dirs = [os.path.join(corpus, d) for d in ("sysmon_evtx", "windows_security_evtx", "windows_system_evtx")]
    dirs = [d for d in dirs if os.path.isdir(d)]
    return dirs or [os.path.join(ROOT, "fixtures", "edr", "evtx", "sysmon.evtx")]


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["0", "0", "0"]


def lnav_version():
    r = capture(["lnav", "-V"])
    return r.stdout.decode().strip() if r.returncode == 0 else ""


def fint(x):
    return "-" if x is None else "{:,}".format(int(round(x))).replace(",", " ")


def f2(x):
    return "-" if x is None else "%.2f" % x


def f3(x):
    return "-" if x is None else "%.3f" % x


def mb(kb):
    return "-" if kb is None else "%.0f" % (kb / 1024)


def ratio(peer_time, tl_time):
    """tl ÷ peer in throughput for the same work = peer time ÷ tl time."""
    if not peer_time or not tl_time:
        return "-"
    x = peer_time / tl_time
    return "%.1f×" % x if x >= 10 else ("%.2f×" % x if x >= 0.1 else "%.4f×" % x)


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.0f GB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return "%d CPU (%s), %s RAM, %s" % (os.cpu_count() or 0, cpu, mem, platform.platform())


def main():
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tl", required=True)
    p.add_argument("--quick", action="store_true", help="smoke run: small sizes, one repetition")
    p.add_argument("--size", type=int, default=1000000, help="records per format row (default 1000000)")
    p.add_argument("--formats", default=" ".join(DEFAULT_FORMATS))
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--lnav-lines", type=int, default=3000000)
    p.add_argument("--query-sizes", default=None,
                   help="cases for the question latencies (default 1000000; with --scale also 10000000)")
    p.add_argument("--question-timeout", type=int, default=600,
                   help="seconds a question may take before it is killed and its row fails (default 600)")
    p.add_argument("--scale", default="", help='e.g. "1000000 10000000 50000000" (off by default)')
    p.add_argument("--evtx", nargs="*", default=None, help="EVTX files or folders (default: the shared corpus, else fixtures)")
    p.add_argument("--incremental-formats", default="squid",
                   help="formats of the incremental section (+1 %% to a case of --size records)")
    p.add_argument("--threads-formats", default="squid cloudtrail",
                   help="formats of the threads section (one thread against two)")
    p.add_argument("--only", default="", help="sections to run: ingest threads incremental lnav query scale evtx (default: all but scale)")
    p.add_argument("--workdir", default="/tmp/tl-bench")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep-cases", action="store_true")
    p.add_argument("--results", default=None, help="Markdown output (default bench/results/latest.md; --quick: WORKDIR/results.md)")
    a = p.parse_args()
    if a.quick:
        a.size = min(a.size, 2000)
        a.reps = 1
        a.lnav_lines = min(a.lnav_lines, 3000)
        a.query_sizes = a.query_sizes or "3000"
        if a.evtx is None:  # python-evtx needs ~100 s for the whole corpus: its smallest files only
            a.evtx = smallest(default_evtx(), 300000)
    a.formats = a.formats.split()
    a.threads_formats = a.threads_formats.split()
    a.incremental_formats = a.incremental_formats.split()
    for f in a.formats:
        if f not in FORMATS and f != "mixed":
            p.error("unknown format %s (known: %s)" % (f, " ".join(DEFAULT_FORMATS)))
    a.scale = [int(x) for x in a.scale.split()]
    if a.query_sizes is None:  # the 10 M case costs minutes to build: it comes with the scaling series
        a.query_sizes = "1000000" + (" 10000000" if a.scale else "")
    a.query_sizes = [int(x) for x in a.query_sizes.split()]
    a.workdir = os.path.abspath(a.workdir)
    if (a.workdir + "/").startswith(ROOT + "/"):
        p.error("--workdir must be outside the repository")
    sections = a.only.split() or ["ingest", "threads", "incremental", "lnav", "query", "evtx"] + (["scale"] if a.scale else [])
    for x in sections:
        if x not in ("ingest", "threads", "incremental", "lnav", "query", "evtx", "scale"):
            p.error("unknown section %s" % x)
    if a.results is None:
        a.results = os.path.join(a.workdir, "results.md") if a.quick else os.path.join(BENCH, "results", "latest.md")
    for t in ("sqlite3", GNU_TIME):
        if not have(t):
            raise SystemExit("bench: %s is required (apt-get install sqlite3 time)" % t)

    b = Bench(a)
    b.t0 = time.monotonic()
    b.load0 = loadavg()
    # most telling first: a run cut short still leaves its finished sections
    # in the results file (rewritten after every section)
    small = [n for n in a.query_sizes if n <= 1000000]
    large = [n for n in a.query_sizes if n > 1000000]
    plan = [("ingest", lambda: b.section_ingest()), ("threads", lambda: b.section_threads()),
            ("incremental", lambda: b.section_incremental()), ("lnav", lambda: b.section_lnav()),
            ("query", lambda: b.section_query(small) if small else None), ("evtx", lambda: b.section_evtx()),
            ("query", lambda: b.section_query(large) if large else None), ("scale", lambda: b.section_scale())]
    todo = [name for name, _ in plan if name in sections]
    for name, fn in plan:
        if name in sections:
            b.partial = "still to run: " + " ".join(todo)
            b.write(b.partial)
            fn()
            todo = todo[1:]
    text = b.write(partial="")
    sys.stdout.write(text)
    note("results written to %s" % a.results)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
