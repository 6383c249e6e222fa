#!/bin/bash
# Where the node's writes wait in a long run: runs benches/longrun.sh (cassandra-stress
# rows) with a machine-wide scheduler trace and the switch-out stacks of the node's one
# tokio worker, for TRACE_SECS (default 170) from the start:
#   benches/trace/stalls.sh NODE_BIN LABEL DURATION
#   python3 benches/trace/offcpu.py $RUN_ROOT/LABEL WORKER_TID   # long off-CPU periods + stacks
#   perf sched timehist -i $RUN_ROOT/LABEL.sched                  # who ran on core 0 meanwhile
# Needs perf (Debian's linux-perf). Traces take ~1 GB per 3 minutes; runs write ~15 GB.
# docs/PERFORMANCE.md, "Stalls under sustained writes, session 6", shows what they found.
set -u
BIN=$1; LABEL=$2; DUR=$3; TL=${TRACE_SECS:-170}
ROOT=${RUN_ROOT:-/work/tmp_${USER:-run}}; mkdir -p "$ROOT"
COLS= RUN_ROOT=$ROOT bash "$(dirname "$0")/../longrun.sh" "$BIN" "$LABEL" "$DUR" &
L=$!
sleep 4
NODE=$(pgrep -f "data_$LABEL" | head -1)
W=$(for t in /proc/$NODE/task/*; do if grep -q tokio-rt-worker $t/comm; then basename $t; fi; done | head -1)
echo "node=$NODE worker=$W start=$(date -u +%FT%T.%NZ)" > "$ROOT/$LABEL.prof"
perf record -e sched:sched_switch --call-graph dwarf,8192 -t "$W" -o "$ROOT/$LABEL.off" -- sleep "$TL" 2>"$ROOT/$LABEL.off.err" &
perf sched record -a -o "$ROOT/$LABEL.sched" -- sleep "$TL" 2>"$ROOT/$LABEL.perf.err"
wait $L
