"""LWT cost on one node (not a pytest test: run by hand, see docs/PERFORMANCE.md).

Starts nothing: point it at a running node. Measures, from one Python client with
`execute_concurrent` (32 in flight), the throughput of plain INSERTs, INSERT ... IF NOT
EXISTS on new keys, and contended `UPDATE ... IF v = old` on one partition, and prints
requests/s for each (median of --runs runs).

    python tests/python/lwt_bench.py --port 19650 --n 5000 --runs 3
"""

import argparse
import statistics
import time

from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args


def rate(session, stmt, args):
    t = time.perf_counter()
    execute_concurrent_with_args(session, stmt, args, concurrency=32, raise_on_first_error=True)
    return len(args) / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=9042)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    cluster = Cluster(["127.0.0.1"], port=a.port, protocol_version=4)
    s = cluster.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS lwtbench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE IF NOT EXISTS lwtbench.kv (k int PRIMARY KEY, v int)")
    plain = s.prepare("INSERT INTO lwtbench.kv (k, v) VALUES (?, ?)")
    lwt = s.prepare("INSERT INTO lwtbench.kv (k, v) VALUES (?, ?) IF NOT EXISTS")
    cas = s.prepare("UPDATE lwtbench.kv SET v = ? WHERE k = -1 IF v = ?")
    s.execute("INSERT INTO lwtbench.kv (k, v) VALUES (-1, 0)")
    out = {"insert": [], "insert_if_not_exists": [], "contended_cas": []}
    for run in range(a.runs):
        base = (run + 1) * 10 * a.n
        out["insert"].append(rate(s, plain, [(base + i, i) for i in range(a.n)]))
        out["insert_if_not_exists"].append(rate(s, lwt, [(base + a.n + i, i) for i in range(a.n)]))
        out["contended_cas"].append(rate(s, cas, [(i + 1, i) for i in range(a.n // 5)]))
    for k, v in out.items():
        print(f"{k:22} {statistics.median(v):10.0f} req/s (runs: {', '.join(f'{x:.0f}' for x in v)})")
    cluster.shutdown()


if __name__ == "__main__":
    main()
