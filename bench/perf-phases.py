#!/usr/bin/env python3
"""Per-phase, per-thread CPU samples of a `perf record` of tl ingest, and the
critical path they give on an idle 2-core machine (docs/performance.md#threads).

    perf record -F 499 -o p.data tl ingest --timings --threads 2 C 2>t.txt
    bench/perf-phases.py p.data [t.txt]

With the --timings output T.TXT the phases are those of tl (load, index,
copies, entities, correlation), cut at the wall times it printed, counted
from the main thread's first sample; without it, the load lasts until the
tl-writer thread's last sample and the rest is "build". A phase takes at
least its busiest thread's samples and at least half of all its samples; the
sum over the phases is the estimated 2-core path. A loaded machine stretches
the wall times but not the samples, which count CPU time."""
import sys, subprocess, collections

out = subprocess.run(['perf', 'script', '-i', sys.argv[1], '-F', 'comm,pid,tid,time'],
                     capture_output=True, text=True).stdout.split('\n')
rows = []
for l in out:
    p = l.split()
    if len(p) < 3 or '/' not in p[-2]:
        continue
    comm = ' '.join(p[:-2]); pid, tid = map(int, p[-2].split('/')); t = float(p[-1].rstrip(':'))
    rows.append((comm, tid, t))
    if pid == tid:
        main = tid
t0 = min(t for c, tid, t in rows if tid == main)
bounds = []  # (phase, end time)
if len(sys.argv) > 2:
    acc = t0
    for l in open(sys.argv[2]):
        p = l.split()
        if len(p) == 3 and p[0] in ('load', 'index', 'copies', 'entities', 'correlation'):
            acc += float(p[2])
            bounds.append((p[0], acc))
else:
    wend = max([t for c, tid, t in rows if c == 'tl-writer'], default=0)
    bounds = [('load', wend)]
ph = collections.OrderedDict((name, collections.Counter()) for name, _ in bounds)
ph['rest'] = collections.Counter()
for c, tid, t in rows:
    phase = next((name for name, end in bounds if t <= end), 'rest')
    who = 'main' if tid == main else c
    ph[phase][who] += 1
crit = 0
for phase, c in ph.items():
    tot = sum(c.values()); m = max(c.values()) if c else 0
    est = max(m, tot / 2)
    crit += est
    print(f'{phase:12} {dict(c)} total {tot} 2-core path {est:.0f}')
print('total samples', sum(sum(c.values()) for c in ph.values()), 'est. 2-core path', round(crit))
