//! CQL functions and operators through a real node and the scylla driver: arithmetic
//! with Cassandra's result types (wrapping, division by zero, decimals), timestamp ±
//! duration, text concatenation, arithmetic in WHERE / INSERT / UPDATE terms and bind
//! markers, CAST, the 5.0 math, collection, masking and vector functions, blob and
//! JSON conversions, and the errors Cassandra gives for each family.

use scylla::client::session::Session;
use scylla::errors::DbError;
use scylla::value::CqlValue;

use crate::client::{connect, db_error, invalid, query};
use crate::harness::NodeProc;

/// The single row of a query.
async fn row(s: &Session, cql: &str) -> Vec<Option<CqlValue>> {
    let mut r = query(s, cql).await;
    assert_eq!(r.rows.len(), 1, "{cql}");
    r.rows.remove(0)
}

fn text(s: &str) -> Option<CqlValue> {
    Some(CqlValue::Text(s.into()))
}

fn int(i: i32) -> Option<CqlValue> {
    Some(CqlValue::Int(i))
}

fn big(i: i64) -> Option<CqlValue> {
    Some(CqlValue::BigInt(i))
}

async fn schema(s: &Session) {
    for q in [
        "CREATE KEYSPACE fx WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TABLE fx.n (k int PRIMARY KEY, ti tinyint, si smallint, i int, bi bigint, f float, d double, vi varint, de decimal, t text, a ascii, ts timestamp, dt date, u uuid, b boolean, ip inet, m map<text, int>, l list<int>, st set<int>, v vector<float, 3>)",
        "INSERT INTO fx.n (k, ti, si, i, bi, f, d, vi, de, t, a, ts, dt, b, ip, m, l, st, v) VALUES (1, 100, -1000, 2147483647, 10, 1.5, 2.5, 12345678901234567890, 2.50, 'abc', 'xy', '2024-01-31 10:00:00+0000', '2024-01-31', true, '127.0.0.1', {'a': 1, 'b': 2}, [3, 1, 2], {5, 7}, [1.0, 0.0, 0.0])",
    ] {
        query(s, q).await;
    }
}

#[tokio::test]
async fn arithmetic_in_selectors_and_terms() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;

    let r = query(
        &s,
        "SELECT i + 1, ti + ti, i * 2, bi / 3, bi % 3, f * 2, d / 0, -i, i - bi, si * ti FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r.cols[0], "i + 1");
    assert_eq!(r.cols[7], "-i");
    assert_eq!(
        r.rows[0],
        vec![
            int(i32::MIN),                // int wraps like Java
            Some(CqlValue::TinyInt(-56)), // 100 + 100 as a byte
            int(-2),
            big(3),
            big(1),
            Some(CqlValue::Float(3.0)),
            Some(CqlValue::Double(f64::INFINITY)), // IEEE, not an error
            int(-2147483647),
            big(2147483637),                              // int - bigint is a bigint
            Some(CqlValue::SmallInt(-100_000i32 as i16)), // smallint * tinyint wraps as a short
        ]
    );

    // Precedence and parentheses.
    let r = row(
        &s,
        "SELECT k + 2 * 3, (k + 2) * 3, k - 1 - 1 FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r, vec![int(7), int(9), int(-1)]);

    // Decimal and varint are exact; decimal division keeps 32 significant digits.
    let r = row(
        &s,
        "SELECT CAST(de + 1 AS text), CAST(de / 3 AS text), CAST(vi * 2 AS text), CAST(de * 2.5 AS text) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(
        r,
        vec![
            text("3.50"),
            text("0.83333333333333333333333333333333"),
            text("24691357802469135780"),
            text("6.250"),
        ]
    );

    // Timestamp and date ± duration on the calendar; text concatenation.
    let r = row(
        &s,
        "SELECT CAST(ts + 1mo AS text), CAST(ts - 2h AS text), CAST(dt - 1d AS text), t + 'def', a + a FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(
        r,
        vec![
            text("2024-02-29T10:00:00.000Z"),
            text("2024-01-31T08:00:00.000Z"),
            text("2024-01-30"),
            text("abcdef"),
            Some(CqlValue::Ascii("xyxy".into())),
        ]
    );

    // Integer division by zero is a FUNCTION_FAILURE with Java's message.
    let (e, m) = db_error(&s, "SELECT i / 0 FROM fx.n WHERE k = 1").await;
    assert_eq!(m, "the operation 'int / int' failed: / by zero");
    let DbError::FunctionFailure {
        keyspace,
        function,
        arg_types,
    } = e
    else {
        panic!("expected a function failure, got {e:?}");
    };
    assert_eq!(
        (keyspace.as_str(), function.as_str()),
        ("system", "_divide")
    );
    assert_eq!(arg_types, ["int", "int"]);
    let m = invalid(&s, "SELECT t * 2 FROM fx.n WHERE k = 1").await;
    assert_eq!(m, "the '*' operation is not supported between t and 2");
    let m = invalid(&s, "SELECT -t FROM fx.n WHERE k = 1").await;
    assert!(m.contains("only supported on numbers"), "{m}");

    // Arithmetic in terms: WHERE, INSERT, UPDATE, with literals and bind markers.
    let r = query(&s, "SELECT k FROM fx.n WHERE k = 3 - 2").await;
    assert_eq!(r.rows, vec![vec![int(1)]]);
    query(
        &s,
        "INSERT INTO fx.n (k, i, ts, t) VALUES (2, 40 + 2, '2024-01-01 00:00:00+0000' + 1d, 'a' + 'b')",
    )
    .await;
    query(&s, "UPDATE fx.n SET d = 10 / 4, bi = -(3 * 4) WHERE k = 2").await;
    let r = row(
        &s,
        "SELECT i, CAST(ts AS text), t, d, bi FROM fx.n WHERE k = 2",
    )
    .await;
    assert_eq!(
        r,
        vec![
            int(42),
            text("2024-01-02T00:00:00.000Z"),
            text("ab"),
            Some(CqlValue::Double(2.5)),
            big(-12)
        ]
    );
    let p = s
        .prepare("INSERT INTO fx.n (k, i) VALUES (?, ? * 2 + 1)")
        .await
        .expect("prepare");
    s.execute_unpaged(&p, (3i32, 20i32)).await.expect("execute");
    let r = row(&s, "SELECT i FROM fx.n WHERE k = 3").await;
    assert_eq!(r, vec![int(41)]);
    // A constant term is computed at prepare time: the same failure, nothing written.
    let (e, m) = db_error(&s, "INSERT INTO fx.n (k, i) VALUES (4, 1 / 0)").await;
    assert!(matches!(e, DbError::FunctionFailure { .. }), "{e:?}");
    assert_eq!(m, "the operation 'int / int' failed: / by zero");
    assert!(query(&s, "SELECT k FROM fx.n WHERE k = 4")
        .await
        .rows
        .is_empty());
}

#[tokio::test]
async fn cast_math_collection_masking_vector_and_conversions() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;

    // CAST: numbers to every number and to text, time conversions.
    let r = row(
        &s,
        "SELECT CAST(i AS bigint), CAST(f AS int), CAST(i AS tinyint), CAST(CAST(d AS decimal) AS text), CAST(bi AS varint), CAST(ti AS text), CAST(ts AS date), CAST(dt AS timestamp), CAST(b AS text), CAST(ip AS text), CAST(d AS ascii), CAST(i AS double) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r[0], big(2147483647));
    assert_eq!(r[1], int(1));
    assert_eq!(r[2], Some(CqlValue::TinyInt(-1))); // (byte) 0x7fffffff
    assert_eq!(r[3], text("2.5"));
    assert!(matches!(r[4], Some(CqlValue::Varint(_))));
    assert_eq!(r[5], text("100"));
    assert!(matches!(r[6], Some(CqlValue::Date(_))));
    assert!(matches!(r[7], Some(CqlValue::Timestamp(_))));
    assert_eq!(r[8], text("true"));
    assert_eq!(r[9], text("127.0.0.1"));
    assert_eq!(r[10], Some(CqlValue::Ascii("2.5".into())));
    assert_eq!(r[11], Some(CqlValue::Double(2147483647.0)));
    let cols = query(&s, "SELECT CAST(i AS text) FROM fx.n WHERE k = 1")
        .await
        .cols;
    assert_eq!(cols, ["cast(i as text)"]);
    assert_eq!(
        invalid(&s, "SELECT CAST(t AS int) FROM fx.n").await,
        "t cannot be cast to int"
    );
    assert_eq!(
        invalid(&s, "SELECT CAST(b AS int) FROM fx.n").await,
        "b cannot be cast to int"
    );
    assert_eq!(
        invalid(&s, "SELECT CAST(ts AS timeuuid) FROM fx.n").await,
        "ts cannot be cast to timeuuid"
    );

    // Math: the argument's type; exp of a tinyint narrows like Java's (byte) cast.
    let r = row(
        &s,
        "SELECT abs(si), exp(ti), round(f), round(d), log10(bi), CAST(round(de) AS text), abs(-5), log(d) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r[0], Some(CqlValue::SmallInt(1000)));
    assert_eq!(r[1], Some(CqlValue::TinyInt(-1)));
    assert_eq!(r[2], Some(CqlValue::Float(2.0)));
    assert_eq!(r[3], Some(CqlValue::Double(3.0)));
    assert_eq!(r[4], big(1));
    assert_eq!(r[5], text("3"));
    assert_eq!(r[6], int(5));
    assert_eq!(r[7], Some(CqlValue::Double(2.5f64.ln())));
    let m = invalid(&s, "SELECT abs(t) FROM fx.n").await;
    assert!(m.contains("none of its type signatures match"), "{m}");

    // Collections (non-frozen columns).
    let r = row(
        &s,
        "SELECT map_keys(m), map_values(m), collection_count(l), collection_min(l), collection_max(st), collection_sum(l), collection_avg(l), collection_count(m) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(
        r[0],
        Some(CqlValue::Set(vec![text("a").unwrap(), text("b").unwrap()]))
    );
    assert_eq!(
        r[1],
        Some(CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]))
    );
    assert_eq!(&r[2..], &[int(3), int(1), int(7), int(6), int(2), int(2)]);
    let m = invalid(&s, "SELECT collection_sum(m) FROM fx.n").await;
    assert!(m.contains("numeric set or list"), "{m}");

    // Masking.
    let r = row(
        &s,
        "SELECT mask_null(t), mask_default(t), mask_default(i), mask_replace(t, 'zz'), mask_inner(t, 1, 0), mask_outer(t, 1, 1), mask_hash(t) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r[0], None);
    assert_eq!(r[1], text("****"));
    assert_eq!(r[2], int(0));
    assert_eq!(r[3], text("zz"));
    assert_eq!(r[4], text("a**"));
    assert_eq!(r[5], text("*b*"));
    // Type hints give literals a type (functions.adoc's masking examples).
    let r2 = row(
        &s,
        "SELECT mask_default((list<int>) [1, 2, 3]), mask_default((vector<int, 3>) [1, 2, 3]), mask_inner('Alice', 1, null), mask_outer('Alice', 2, 1, '#'), (bigint) 5 + 1 FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r2[0], Some(CqlValue::List(vec![])));
    assert_eq!(r2[1], Some(CqlValue::Vector(vec![CqlValue::Int(0); 3])));
    assert_eq!(r2[2], text("A****"));
    assert_eq!(r2[3], text("##ic#"));
    assert_eq!(r2[4], big(6));
    let Some(CqlValue::Blob(h)) = &r[6] else {
        panic!("mask_hash gave {:?}", r[6]);
    };
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    // Vector similarity (Lucene's scores).
    let r = row(
        &s,
        "SELECT similarity_cosine(v, [1.0, 0.0, 0.0]), similarity_euclidean(v, [1.0, 2.0, 0.0]), similarity_dot_product(v, v), similarity_cosine(v, [0.0, 1.0, 0.0]) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(
        r,
        vec![
            Some(CqlValue::Float(1.0)),
            Some(CqlValue::Float(0.2)),
            Some(CqlValue::Float(1.0)),
            Some(CqlValue::Float(0.5)),
        ]
    );
    // A vector literal is stored in the vector wire form (no count, packed floats).
    let r = row(&s, "SELECT v FROM fx.n WHERE k = 1").await;
    assert_eq!(
        r[0],
        Some(CqlValue::Vector(vec![
            CqlValue::Float(1.0),
            CqlValue::Float(0.0),
            CqlValue::Float(0.0)
        ]))
    );
    // Bind markers in selectors: typed by the other argument (vector functions and
    // masking take their type from the first argument, as Cassandra's factories do).
    let p = s
        .prepare("SELECT similarity_cosine(v, ?), mask_replace(t, ?) FROM fx.n WHERE k = ?")
        .await
        .expect("prepare");
    let r = s
        .execute_unpaged(&p, (vec![0.0f32, 1.0, 0.0], "!", 1i32))
        .await
        .expect("execute")
        .into_rows_result()
        .expect("rows");
    let (cos, masked): (f32, String) = r.first_row().expect("row");
    assert_eq!((cos, masked.as_str()), (0.5, "!"));
    let m = invalid(&s, "SELECT similarity_cosine(v, l) FROM fx.n").await;
    assert_eq!(m, "Only float vectors are supported by similarity_cosine");

    // Time, blob and JSON conversions.
    let r = row(
        &s,
        "SELECT to_unix_timestamp(ts), toUnixTimestamp(dt), intAsBlob(i), blob_as_int(int_as_blob(i)), toJson(l), CAST(to_timestamp(dt) AS text) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r[0], big(1_706_695_200_000));
    assert_eq!(r[1], big(1_706_659_200_000));
    assert_eq!(r[2], Some(CqlValue::Blob(vec![0x7f, 0xff, 0xff, 0xff])));
    assert_eq!(r[3], int(i32::MAX));
    assert_eq!(r[4], text("[3, 1, 2]"));
    assert_eq!(r[5], text("2024-01-31T00:00:00.000Z"));
    query(
        &s,
        r#"INSERT INTO fx.n (k, m, i) VALUES (5, fromJson('{"x": 9}'), fromJson('7'))"#,
    )
    .await;
    let r = row(&s, "SELECT m, i FROM fx.n WHERE k = 5").await;
    assert_eq!(
        r,
        vec![
            Some(CqlValue::Map(vec![(text("x").unwrap(), CqlValue::Int(9))])),
            int(7)
        ]
    );

    // No user code.
    let m = invalid(
        &s,
        "CREATE FUNCTION fx.f (x int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return x;'",
    )
    .await;
    assert!(m.contains("Helenus does not run user code"), "{m}");
    let m = invalid(&s, "CREATE TRIGGER tr ON fx.n USING 'org.example.Trigger'").await;
    assert!(m.contains("Helenus does not run user code"), "{m}");
}

#[tokio::test]
async fn writetime_and_ttl_of_non_frozen_collections() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    query(
        &s,
        "CREATE TABLE fx.w (k int PRIMARY KEY, l list<int>, st set<int>, m map<text, int>, v int)",
    )
    .await;
    query(
        &s,
        "INSERT INTO fx.w (k, l, st, m, v) VALUES (1, [1, 2], {3}, {'a': 1}, 5) USING TIMESTAMP 1000 AND TTL 1000",
    )
    .await;
    query(
        &s,
        "UPDATE fx.w USING TIMESTAMP 2000 AND TTL 500 SET l = l + [3], m['b'] = 2 WHERE k = 1",
    )
    .await;
    let r = query(
        &s,
        "SELECT writetime(l), maxwritetime(l), writetime(st), maxwritetime(v), writetime(m), ttl(st) FROM fx.w WHERE k = 1",
    )
    .await;
    assert_eq!(r.cols[0], "writetime(l)");
    let first = &r.rows[0];
    let bigs = |xs: &[i64]| {
        Some(CqlValue::List(
            xs.iter().map(|x| CqlValue::BigInt(*x)).collect(),
        ))
    };
    assert_eq!(first[0], bigs(&[1000, 1000, 2000]));
    assert_eq!(first[1], big(2000));
    assert_eq!(first[2], bigs(&[1000]));
    assert_eq!(first[3], big(1000));
    assert_eq!(first[4], bigs(&[1000, 2000]));
    let Some(CqlValue::List(ttls)) = &first[5] else {
        panic!("ttl(st) = {:?}", first[5]);
    };
    assert!(
        matches!(ttls.as_slice(), [CqlValue::Int(t)] if *t > 900 && *t <= 1000),
        "{ttls:?}"
    );
    let r = row_of_ttl_map(&s).await;
    assert!(
        matches!(r.as_slice(), [CqlValue::Int(a), CqlValue::Int(b)] if *a > 900 && *b <= 500),
        "{r:?}"
    );
    // A non-frozen UDT: one write time per field.
    query(&s, "CREATE TYPE fx.pt (x int, y int)").await;
    query(&s, "CREATE TABLE fx.u (k int PRIMARY KEY, p pt)").await;
    query(
        &s,
        "INSERT INTO fx.u (k, p) VALUES (1, {x: 1, y: 2}) USING TIMESTAMP 100",
    )
    .await;
    query(
        &s,
        "UPDATE fx.u USING TIMESTAMP 200 SET p.y = 3 WHERE k = 1",
    )
    .await;
    let r = row(
        &s,
        "SELECT writetime(p), maxwritetime(p) FROM fx.u WHERE k = 1",
    )
    .await;
    assert_eq!(r, vec![bigs(&[100, 200]), big(200)]);
    // An empty collection has no write time.
    query(&s, "INSERT INTO fx.w (k, v) VALUES (2, 1)").await;
    let r = row(
        &s,
        "SELECT writetime(l), ttl(l), maxwritetime(l) FROM fx.w WHERE k = 2",
    )
    .await;
    assert_eq!(r, vec![None, None, None]);
}

async fn row_of_ttl_map(s: &Session) -> Vec<CqlValue> {
    match row(s, "SELECT ttl(m) FROM fx.w WHERE k = 1")
        .await
        .remove(0)
    {
        Some(CqlValue::List(v)) => v,
        other => panic!("ttl(m) = {other:?}"),
    }
}

/// exp/log/log10 of decimal and varint (DecimalType's BigDecimal math: 32 significant
/// digits or the argument's precision, HALF_EVEN; varint truncated), the server error
/// Cassandra gives for the log of zero, and bind markers in selectors: refused with
/// FunctionResolver's messages where no type can be inferred, bound where one can.
#[tokio::test]
async fn decimal_math_and_untyped_selector_markers() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    let r = row(
        &s,
        "SELECT CAST(exp(de) AS text), CAST(log(de) AS text), CAST(log10(de) AS text), \
         CAST(exp((decimal) 0) AS text), CAST(log((decimal) 1) AS text), \
         CAST(log((decimal) 1.0000001) AS text), CAST(exp((decimal) -1) AS text), \
         CAST(exp((varint) 10) AS text), CAST(log((varint) 100) AS text), CAST(log10(vi) AS text), \
         CAST(exp((varint) 100) AS text) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(
        r,
        vec![
            text("12.182493960703473438070175951168"),
            text("0.91629073187415506518352721176801"),
            text("0.39794000867203760957252221055101"),
            text("1"),
            text("0"),
            text("9.9999995000000333333308333335333E-8"),
            text("0.36787944117144232159552377016146"),
            text("22026"),
            text("4"),
            text("19"),
            text("26881171418161354484126255515800000000000000"),
        ]
    );
    // The ArithmeticException is not caught by Cassandra: a server error.
    let (e, m) = db_error(&s, "SELECT log((decimal) 0) FROM fx.n WHERE k = 1").await;
    assert!(matches!(e, DbError::ServerError), "{e:?}");
    assert_eq!(
        m,
        "java.lang.ArithmeticException: Natural log of number zero or less"
    );
    let (_, m) = db_error(&s, "SELECT log10((varint) -5) FROM fx.n WHERE k = 1").await;
    assert_eq!(
        m,
        "java.lang.ArithmeticException: Log10 of number zero or less"
    );

    // Untyped markers: Cassandra cannot pick an overload, nor type a bare marker.
    for (q, want) in [
        (
            "SELECT ? FROM fx.n",
            "Cannot infer type for term ? in selection clause (try using a cast to force a type)",
        ),
        (
            "SELECT abs(?) FROM fx.n",
            "Ambiguous call to function abs (can be matched by following signatures: \
             system.abs : (tinyint) -> tinyint, system.abs : (smallint) -> smallint, \
             system.abs : (int) -> int, system.abs : (float) -> float, \
             system.abs : (bigint) -> bigint, system.abs : (double) -> double, \
             system.abs : (varint) -> varint, system.abs : (decimal) -> decimal, \
             system.abs : (counter) -> counter): use type casts to disambiguate",
        ),
        (
            "SELECT to_date(?) FROM fx.n",
            "Ambiguous call to function to_date (can be matched by following signatures: \
             system.to_date : (timeuuid) -> date, system.to_date : (timestamp) -> date): \
             use type casts to disambiguate",
        ),
        (
            "SELECT ? + 1 FROM fx.n",
            "Ambiguous '+' operation: use type casts to disambiguate",
        ),
        (
            "SELECT i * ? FROM fx.n",
            "Ambiguous '*' operation: use type casts to disambiguate",
        ),
        (
            "SELECT t + ? FROM fx.n",
            "Ambiguous '+' operation: use type casts to disambiguate",
        ),
        (
            "SELECT -? FROM fx.n",
            "Ambiguous negation: use type casts to disambiguate",
        ),
        (
            "SELECT [1, 2] FROM fx.n",
            "Cannot infer type for term [1, 2] in selection clause (try using a cast to force a type)",
        ),
    ] {
        let e = s.prepare(q).await.expect_err(q).to_string();
        assert!(e.contains(want), "{q}: {e}");
    }
    // One signature, a type hint or a timestamp operand type the marker.
    let p = s
        .prepare("SELECT blob_as_int(?), abs((int) ?), (bigint) ?, CAST(ts + ? AS text) FROM fx.n WHERE k = ?")
        .await
        .expect("prepare");
    let day = scylla::value::CqlDuration {
        months: 0,
        days: 1,
        nanoseconds: 0,
    };
    let r = s
        .execute_unpaged(&p, (vec![0u8, 0, 0, 7], -3i32, 5i64, day, 1i32))
        .await
        .expect("execute")
        .into_rows_result()
        .expect("rows");
    let got: (i32, i32, i64, String) = r.first_row().expect("row");
    assert_eq!(got, (7, 3, 5, "2024-02-01T10:00:00.000Z".to_string()));
}

/// Tuple and list selectors (Cassandra 4.0+): `(a, b)` is a `tuple<type of a, type of
/// b>` of the selected values, named `(a, b)`; `[a, 2]` a list of the first
/// non-constant element's type; nested and mixed with functions and literals.
#[tokio::test]
async fn tuple_selectors() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    let r = query(
        &s,
        "SELECT (i, t), (k, (abs(si), 'x')) FROM fx.n WHERE k = 1",
    )
    .await;
    assert_eq!(r.cols, ["(i, t)", "(k, (system.abs(si), 'x'))"]);
    assert_eq!(
        r.rows[0],
        vec![
            Some(CqlValue::Tuple(vec![
                Some(CqlValue::Int(2147483647)),
                text("abc")
            ])),
            Some(CqlValue::Tuple(vec![
                Some(CqlValue::Int(1)),
                Some(CqlValue::Tuple(vec![
                    Some(CqlValue::SmallInt(1000)),
                    text("x")
                ]))
            ])),
        ]
    );
    let r = query(&s, "SELECT [k, 2, i], [t, 'x'] FROM fx.n WHERE k = 1").await;
    assert_eq!(r.cols, ["[k, 2, i]", "[t, 'x']"]);
    assert_eq!(
        r.rows[0],
        vec![
            Some(CqlValue::List(vec![
                CqlValue::Int(1),
                CqlValue::Int(2),
                CqlValue::Int(2147483647)
            ])),
            Some(CqlValue::List(vec![
                CqlValue::Text("abc".into()),
                CqlValue::Text("x".into())
            ])),
        ]
    );
    assert_eq!(
        invalid(&s, "SELECT [k, t] FROM fx.n").await,
        "Invalid list literal for selection: value t is not of type int"
    );
}
