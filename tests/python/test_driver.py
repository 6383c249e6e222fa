"""cassandra-driver (the DataStax Python driver) against a real node, with protocol v5
and v4 forced: connect (peers/local/schema queries, REGISTER), DDL, 10,000 prepared
inserts, paging at fetch_size=500, logged and unlogged batches, error types, the
driver's token map against SELECT token(k), and all rows there after a restart."""

import pytest
from cassandra import InvalidRequest
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.protocol import SyntaxException
from cassandra.query import BatchStatement, BatchType, SimpleStatement

ROWS = 10_000


def connect(node, version):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]), request_timeout=60)
    cluster = Cluster(
        ["127.0.0.1"], port=node.port, protocol_version=version,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=30, control_connection_timeout=30,
    )
    return cluster, cluster.connect()


@pytest.mark.parametrize("version", [5, 4])
def test_driver_end_to_end(node, version):
    ks = f"py{version}"
    cluster, session = connect(node, version)
    try:
        assert session.execute("SELECT release_version FROM system.local").one()[0].startswith("5")
        session.execute(
            f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
        session.execute(f"CREATE TABLE {ks}.kv (k int PRIMARY KEY, v text)")
        # The driver learned the new table from the schema tables / events.
        cluster.refresh_schema_metadata()
        assert "kv" in cluster.metadata.keyspaces[ks].tables

        insert = session.prepare(f"INSERT INTO {ks}.kv (k, v) VALUES (?, ?)")
        # Pipeline the inserts, as applications do.
        results = execute_concurrent_with_args(
            session, insert, [(k, f"v{k}") for k in range(ROWS)], concurrency=200, raise_on_first_error=True)
        assert all(ok for ok, _ in results)

        stmt = SimpleStatement(f"SELECT k, v FROM {ks}.kv", fetch_size=500)
        result = session.execute(stmt)
        keys = set()
        pages = 1
        for row in result:
            keys.add(row.k)
            assert row.v == f"v{row.k}"
        # Count the pages the driver fetched: 10,000 rows at 500 per page.
        paged = session.execute(stmt)
        while paged.has_more_pages:
            paged.fetch_next_page()
            pages += 1
        assert keys == set(range(ROWS))
        assert pages >= ROWS // 500

        for btype, base in [(BatchType.LOGGED, 100_000), (BatchType.UNLOGGED, 200_000)]:
            batch = BatchStatement(batch_type=btype)
            for k in range(base, base + 10):
                batch.add(insert, (k, "batched"))
            session.execute(batch)
            rows = session.execute(f"SELECT v FROM {ks}.kv WHERE k IN ({', '.join(str(base + i) for i in range(10))})")
            assert [r.v for r in rows] == ["batched"] * 10

        with pytest.raises(SyntaxException):
            session.execute("SELEC k FROM whatever")
        with pytest.raises(InvalidRequest):
            session.execute(f"SELECT nosuchcolumn FROM {ks}.kv")
        with pytest.raises(InvalidRequest):
            session.execute("SELECT * FROM nosuchks.nosuchtable")
        # The session keeps working after errors.
        assert session.execute(f"SELECT v FROM {ks}.kv WHERE k = 42").one().v == "v42"

        # The driver's token map agrees with the server's token().
        tm = cluster.metadata.token_map
        assert tm is not None and len(tm.ring) > 0
        table_meta = cluster.metadata.keyspaces[ks].tables["kv"]
        sel = session.prepare(f"SELECT token(k) FROM {ks}.kv WHERE k = ?")
        for k in list(range(0, ROWS, 97)) + [-1, 2**31 - 1]:
            if k < 0 or k >= ROWS:
                session.execute(insert, (k, "edge"))
            server = session.execute(sel, (k,)).one()[0]
            bound = insert.bind((k, "x"))
            driver = tm.token_class.from_key(bound.routing_key).value
            assert driver == server, f"token of {k}: driver {driver}, server {server}"
            assert table_meta is not None
    finally:
        cluster.shutdown()


def test_driver_rows_survive_restart(node):
    cluster, session = connect(node, 4)
    try:
        session.execute(
            "CREATE KEYSPACE IF NOT EXISTS pyrestart WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE IF NOT EXISTS pyrestart.kv (k int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO pyrestart.kv (k, v) VALUES (?, ?)")
        execute_concurrent_with_args(session, insert, [(k, str(k)) for k in range(2000)], concurrency=100)
    finally:
        cluster.shutdown()
    assert node.stop() == 0, node.log()
    node.start()
    cluster, session = connect(node, 4)
    try:
        rows = session.execute(SimpleStatement("SELECT k, v FROM pyrestart.kv", fetch_size=500))
        got = {r.k: r.v for r in rows}
        assert got == {k: str(k) for k in range(2000)}
    finally:
        cluster.shutdown()
