#!/usr/bin/env python3
"""CPU seconds of each thread of a `tl ingest --timings` run, per phase.

    bench/thread-cpu.py tl ingest --timings --threads 2 CASE
    (TL_PHASE_ORDER: the order the phases ran in, see ORDER below)

Samples /proc/PID/task/*/stat every 10 ms (user + system ticks, and whether
each thread is running or waiting) while the command runs, cuts the samples
at the phase boundaries the command's --timings table gives (its wall
column, in phase order), and prints per phase the CPU seconds of the main
thread, the file reader (tl-read), the writer (tl-writer), the reader of
the case (tl-ahead) and the other threads (SQLite's sort helpers, the
entities refresh counting beside the index build), the share of samples in
which the main thread was waiting (state S/D), and a bound: on an idle
2-core machine a phase takes at least its busiest named thread's CPU and
half of all its CPU. Per-thread CPU does not move with the machine's load
the way wall time does; a phase whose main thread waits while one other
thread works is where the second core is idle (docs/performance.md#threads).
The bound's sum is optimistic: threads that wait for each other make the
wall time longer.
"""
import collections
import os
import re
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
PHASES = ["load", "index", "copies", "entities", "correlation"]
# the order they run in: with the indexes rebuilt and two threads or more,
# the entities refresh writes right after the index build (it counted beside
# it), before copies; TL_PHASE_ORDER="load index copies entities correlation"
# for one thread, an ingest that kept the indexes, or a tl before that
ORDER = os.environ.get("TL_PHASE_ORDER", "load index entities copies correlation").split()


def snapshot(pid):
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        out[tid] = (name, f[0], int(f[11]) + int(f[12]))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE)
    t0 = time.monotonic()
    samples = []
    while p.poll() is None:
        samples.append((time.monotonic() - t0, snapshot(p.pid)))
        time.sleep(0.01)
    err = p.stderr.read().decode(errors="replace")
    sys.stderr.write(err)
    walls = {}
    for line in err.splitlines():
        m = re.match(r"\s+(\w+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m and m.group(1) in PHASES + ["other", "total"]:
            walls[m.group(1)] = float(m.group(3))
    if not all(ph in walls for ph in PHASES):
        sys.exit("thread-cpu: no --timings table in the command's output")
    # the phases run one after the other; "other" is mostly start-up
    # (definitions, libmagic) before them, a little closing after
    bounds, t = [], walls.get("other", 0.0)
    for ph in ORDER:
        bounds.append((ph, t, t + walls[ph]))
        t += walls[ph]
    cpu = collections.defaultdict(lambda: collections.defaultdict(float))
    waits = collections.defaultdict(lambda: [0, 0])
    last = {}
    for ts, snap in samples:
        ph = next((b[0] for b in bounds if b[1] <= ts < b[2]), "other")
        for tid, (name, state, ticks) in snap.items():
            who = name if name in ("tl-read", "tl-writer", "tl-ahead") else ("main" if tid == str(p.pid) else "others")
            cpu[ph][who] += (ticks - last.get(tid, 0)) / TICK
            last[tid] = ticks
            if who == "main":
                waits[ph][0] += 1
                waits[ph][1] += state in "SD"
    cols = ["main", "tl-read", "tl-writer", "tl-ahead", "others"]
    print("%-12s %7s %7s %8s %9s %8s %7s %11s %8s" % ("phase", "wall", *cols, "main waits", "bound"))
    path = 0.0
    for ph in PHASES + ["other"]:
        c = cpu[ph]
        allc = sum(c.values())
        w = waits[ph]
        # on an idle 2-core machine the phase takes at least its busiest
        # named thread's CPU and half of all (others: several threads)
        bound = max([c[k] for k in cols[:4]] + [allc / 2])
        path += bound
        print("%-12s %7.2f %7.2f %8.2f %9.2f %8.2f %7.2f %10.0f%% %8.2f" % (
            ph, walls.get(ph, 0.0), *[c[k] for k in cols], 100.0 * w[1] / w[0] if w[0] else 0.0, bound))
    total = sum(sum(c.values()) for c in cpu.values())
    print("CPU %.2f s (every thread), main thread %.2f s, 2-core bound %.2f s" % (
        total, sum(c["main"] for c in cpu.values()), path))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
