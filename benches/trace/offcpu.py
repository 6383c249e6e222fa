# benches/trace/offcpu.py: for the node worker's off-CPU periods over 40 ms in a
# benches/trace/stalls.sh run, the stack it was switched out with.
#   python3 benches/trace/offcpu.py RUN_ROOT/LABEL WORKER_TID
# For the worker's long off-CPU periods in a timehist, print the stack at its switch-out.
import sys, re, subprocess, bisect
label, wtid = sys.argv[1], sys.argv[2]
th = subprocess.run(['perf','sched','timehist','-i',f'{label}.sched'],capture_output=True,text=True).stdout
long=[]
for line in th.splitlines():
    p=line.split()
    if len(p)!=6 or not p[1].startswith('['): continue
    if f'[{wtid}/' not in p[2]: continue
    t=float(p[0]); w=float(p[3]); sd=float(p[4]); r=float(p[5])
    if w+sd>40: long.append((t, w, sd, r))
print(len(long), 'worker off-CPU periods > 40 ms (wait+sch delay)')
sc = subprocess.run(['perf','script','-i',f'{label}.off','-F','time,event,ip,sym','--no-demangle'],capture_output=True,text=True).stdout
events=[]; cur=None
for line in sc.splitlines():
    if not line.strip():
        if cur: events.append(cur); cur=None
        continue
    m=re.match(r'\s*([\d.]+):\s+sched:sched_switch',line)
    if m: cur=(float(m.group(1)),[]); continue
    if cur: 
        q=line.split()
        if len(q)>=2: cur[1].append(q[1][:90])
if cur: events.append(cur)
times=[e[0] for e in events]
for t,w,sd,r in long:
    out = t - r/1000 - sd/1000 - w/1000
    i = bisect.bisect_right(times, out+0.0005)-1
    stack = events[i][1] if i>=0 else []
    keep=[s for s in stack if not s.startswith('[unknown')][:14]
    print(f"\n{t:.3f} wait={w:.1f} sd={sd:.1f} switched out at {out:.3f} (event {times[i] if i>=0 else None:.3f})")
    for s in keep: print('    ',s)
