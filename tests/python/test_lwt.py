"""Lightweight transactions through the Python driver: `ResultSet.was_applied` on
single statements and conditional batches, the current values next to `[applied]`,
and SERIAL reads (docs/LWT.md)."""

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import BatchStatement, SimpleStatement


def test_lwt_was_applied_batches_and_serial_reads(node):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]), request_timeout=60)
    cluster = Cluster(["127.0.0.1"], port=node.port, protocol_version=5,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      connect_timeout=30, control_connection_timeout=30)
    session = cluster.connect()
    try:
        session.execute("CREATE KEYSPACE pylwt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE pylwt.c (k int, c int, v text, m map<text, int>, PRIMARY KEY (k, c))")

        rs = session.execute("INSERT INTO pylwt.c (k, c, v) VALUES (1, 1, 'a') IF NOT EXISTS")
        assert rs.was_applied
        rs = session.execute("INSERT INTO pylwt.c (k, c, v) VALUES (1, 1, 'b') IF NOT EXISTS")
        assert not rs.was_applied
        row = rs.one()
        assert (row.k, row.c, row.v) == (1, 1, "a")

        upd = session.prepare("UPDATE pylwt.c SET v = ?, m = m + {'x': 1} WHERE k = ? AND c = ? IF v = ?")
        assert not session.execute(upd, ("z", 1, 1, "wrong")).was_applied
        assert session.execute(upd, ("z", 1, 1, "a")).was_applied
        assert session.execute("UPDATE pylwt.c SET v = 'y' WHERE k = 1 AND c = 1 IF m['x'] = 1").was_applied

        batch = BatchStatement()
        batch.add("UPDATE pylwt.c SET v = 'q' WHERE k = 1 AND c = 1 IF v = 'nope'")
        batch.add("INSERT INTO pylwt.c (k, c, v) VALUES (1, 2, 'r')")
        rs = session.execute(batch)
        assert not rs.was_applied
        assert [(r.k, r.c, r.v) for r in rs] == [(1, 1, "y")]
        batch = BatchStatement()
        batch.add("UPDATE pylwt.c SET v = 'q' WHERE k = 1 AND c = 1 IF v = 'y'")
        batch.add("INSERT INTO pylwt.c (k, c, v) VALUES (1, 2, 'r')")
        assert session.execute(batch).was_applied

        read = SimpleStatement("SELECT c, v FROM pylwt.c WHERE k = 1", consistency_level=ConsistencyLevel.SERIAL)
        assert [(r.c, r.v) for r in session.execute(read)] == [(1, "q"), (2, "r")]
    finally:
        cluster.shutdown()
