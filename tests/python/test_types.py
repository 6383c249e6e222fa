"""Every native type's edge values through the DataStax Python driver against a real
node (protocol v5): bound by a prepared INSERT and read back, as tests/it/types.rs
does with the scylla driver. Also null vs unset vs empty, NaN, and functions' results
(arithmetic, CAST, decimals) as the Python driver decodes them."""

import math
from datetime import timedelta
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from ipaddress import ip_address

import pytest
from cassandra import FunctionFailure, InvalidRequest
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import UNSET_VALUE
from cassandra.util import Date, Duration, Time

COLUMNS = [
    ("a", "ascii"), ("bi", "bigint"), ("bl", "blob"), ("bo", "boolean"), ("de", "decimal"),
    ("do", "double"), ("fl", "float"), ("ine", "inet"), ("i", "int"), ("si", "smallint"),
    ("t", "text"), ("ti", "time"), ("ts", "timestamp"), ("tu", "timeuuid"), ("tin", "tinyint"),
    ("u", "uuid"), ("vi", "varint"), ("da", "date"), ("du", "duration"),
    ("ve", "vector<float, 3>"),
]

LOW = [
    "", -2**63, b"", False, Decimal("-1E-2147483648") * (2**200 - 1), -math.inf, 1.1754943508222875e-38,
    "0.0.0.0", -2**31, -2**15, "", Time(0), datetime(1, 1, 1, tzinfo=timezone.utc),
    uuid.UUID("13814000-1dd2-11b2-8080-808080808080"), -128, uuid.UUID(int=0), -(2**512),
    Date(-2**31), Duration(-1, -2, -3), [-0.0, -3.4028234663852886e38, -math.inf],
]
HIGH = [
    "~ !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}\x7f", 2**63 - 1, bytes(range(256)), True,
    Decimal("9" * 80 + "E+2147483000"), 1.7976931348623157e308, math.inf, "ffff::ffff:1",
    2**31 - 1, 2**15 - 1, "héllo ✓ 𝄞 \U0010ffff ''", Time(86_399_999_999_999),
    datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc),
    uuid.UUID("ffffffff-ffff-1fff-bfff-ffffffffffff"), 127, uuid.UUID(int=2**128 - 1), 2**512 - 1,
    Date(2**31 - 1), Duration(2**31 - 1, 2**31 - 1, 2**63 - 1), [1.5, 3.4028234663852886e38, 1.1754943508222875e-38],
]


def same(name, want, got):
    if name == "ine":
        return ip_address(want) == ip_address(got)
    if name == "ts":
        # The driver decodes timestamps through a float (9999-12-31T23:59:59.999 comes
        # back 7 us early); the exact milliseconds are checked with to_unix_timestamp.
        return abs(got - want.replace(tzinfo=None)).total_seconds() < 0.001
    return want == got


def millis(dt):
    return (dt - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


@pytest.fixture(scope="module")
def session(node):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]), request_timeout=60)
    cluster = Cluster(["127.0.0.1"], port=node.port, protocol_version=5,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      connect_timeout=30, control_connection_timeout=30)
    s = cluster.connect()
    s.execute("CREATE KEYSPACE pyty WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    s.execute(f"CREATE TABLE pyty.t (k int PRIMARY KEY, {cols})")
    yield s
    cluster.shutdown()


@pytest.mark.parametrize("k,values", [(0, LOW), (1, HIGH)])
def test_edge_values_round_trip(session, k, values):
    names = [n for n, _ in COLUMNS]
    insert = session.prepare(
        f"INSERT INTO pyty.t (k, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))})")
    session.execute(insert, [k] + values)
    row = session.execute(f"SELECT {', '.join(names)} FROM pyty.t WHERE k = %s", [k]).one()
    for name, want, got in zip(names, values, row):
        assert same(name, want, got), f"{name}: sent {want!r}, read {got!r}"
    ts = values[names.index("ts")]
    assert session.execute(f"SELECT to_unix_timestamp(ts) FROM pyty.t WHERE k = {k}").one()[0] == millis(ts)


def test_nan_null_unset_and_empty(session):
    session.execute(session.prepare("INSERT INTO pyty.t (k, fl, do, t) VALUES (?, ?, ?, ?)"),
                    [5, math.nan, math.nan, "x"])
    fl, do = session.execute("SELECT fl, do FROM pyty.t WHERE k = 5").one()
    assert math.isnan(fl) and math.isnan(do)
    update = session.prepare("UPDATE pyty.t SET t = ?, fl = ? WHERE k = 5")
    session.execute(update, [UNSET_VALUE, None])  # unset keeps t, null deletes fl
    assert tuple(session.execute("SELECT t, fl FROM pyty.t WHERE k = 5").one()) == ("x", None)
    session.execute(update, ["", UNSET_VALUE])
    assert session.execute("SELECT t FROM pyty.t WHERE k = 5").one()[0] == ""


def test_function_results_decode_in_the_python_driver(session):
    session.execute("INSERT INTO pyty.t (k, i, de, ts, ve, tin) VALUES (7, 2147483647, 2.50, "
                    "'2024-01-31 10:00:00+0000', [1.0, 0.0, 0.0], 100)")
    row = session.execute(
        "SELECT i + 1, de / 3, CAST(i AS decimal), ts + 1mo, exp(tin), "
        "similarity_cosine(ve, [0.0, 1.0, 0.0]), CAST(de AS text) FROM pyty.t WHERE k = 7").one()
    assert row[0] == -2**31
    assert row[1] == Decimal("0.83333333333333333333333333333333")
    assert row[2] == Decimal("2147483647.0")
    assert row[3] == datetime(2024, 2, 29, 10, 0)
    assert row[4] == -1
    assert row[5] == 0.5
    assert row[6] == "2.50"
    # Division by zero is a FUNCTION_FAILURE error body the driver decodes.
    with pytest.raises(FunctionFailure, match="/ by zero") as failure:
        session.execute("SELECT i / 0 FROM pyty.t WHERE k = 7")
    assert (failure.value.keyspace, failure.value.function, failure.value.arg_types) == (
        "system", "_divide", ["int", "int"])
    with pytest.raises(InvalidRequest, match="cannot be cast to int"):
        session.execute("SELECT CAST(t AS int) FROM pyty.t WHERE k = 7")


def test_writetime_and_ttl_of_a_collection_are_lists(session):
    # Elements without a TTL are null in Cassandra 5.0's TTL list (a -1 length element);
    # this driver (3.30) cannot decode such a list, so every element has a TTL here.
    session.execute("CREATE TABLE pyty.w (k int PRIMARY KEY, l list<int>)")
    session.execute("INSERT INTO pyty.w (k, l) VALUES (1, [1]) USING TTL 1000 AND TIMESTAMP 10")
    session.execute("UPDATE pyty.w USING TIMESTAMP 20 AND TTL 500 SET l = l + [2] WHERE k = 1")
    ttls, times, latest = session.execute("SELECT ttl(l), writetime(l), maxwritetime(l) FROM pyty.w WHERE k = 1").one()
    assert len(ttls) == 2 and 900 < ttls[0] <= 1000 and 400 < ttls[1] <= 500
    assert times == [10, 20] and latest == 20


def test_exact_decimal_and_varint_aggregates(session):
    session.execute("CREATE TABLE pyty.agg (k int, c int, de decimal, vi varint, PRIMARY KEY (k, c))")
    insert = session.prepare("INSERT INTO pyty.agg (k, c, de, vi) VALUES (1, ?, ?, ?)")
    for c, de, vi in [(1, Decimal("2.50"), 10**41), (2, Decimal("0.25"), 12345678901234567890),
                      (3, Decimal("0.1"), -1)]:
        session.execute(insert, [c, de, vi])
    total = 10**41 + 12345678901234567889
    row = session.execute("SELECT sum(de), avg(de), sum(vi), avg(vi) FROM pyty.agg WHERE k = 1").one()
    assert tuple(row) == (Decimal("2.85"), Decimal("0.95"), total, total // 3)
