#!/usr/bin/env python3
import sys, subprocess, collections
# Per-phase, per-thread samples of a `perf record` of tl ingest (docs/performance.md#threads):
# bench/perf-phases.py perf.data. The load lasts until the tl-writer thread's last sample.
# per-phase, per-thread sample counts: load (until tl-writer's last sample), build (after)
out = subprocess.run(['perf','script','-i',sys.argv[1],'-F','comm,tid,time'],capture_output=True,text=True).stdout.split('\n')
rows=[]
for l in out:
    p=l.split()
    if len(p)<3: continue
    comm=' '.join(p[:-2]); tid=int(p[-2]); t=float(p[-1].rstrip(':'))
    rows.append((comm,tid,t))
wend=max([t for c,tid,t in rows if c=='tl-writer'], default=0)
main=min(tid for c,tid,t in rows)
ph=collections.defaultdict(lambda: collections.Counter())
for c,tid,t in rows:
    phase='load' if t<=wend else 'build'
    who='main' if tid==main else ('writer' if c=='tl-writer' else 'helper')
    ph[phase][who]+=1
crit=0
for phase in ('load','build'):
    c=ph[phase]; tot=sum(c.values()); m=max(c.values()) if c else 0
    est=max(m, tot/2)
    crit+=est
    print(phase, dict(c), 'total', tot, '2-core critical path', est)
print('total samples', sum(sum(c.values()) for c in ph.values()), 'est. 2-core path', crit)
