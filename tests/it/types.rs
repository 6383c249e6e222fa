//! Every native type's edge values round-trip through a real node and the scylla
//! driver, bound as prepared-statement values and read back: empty text and blob,
//! null vs unset vs empty, integer extremes, varint/decimal far beyond 64 bits,
//! NaN/±Infinity, negative durations, the ends of the date range, vector<float, n>.

use scylla::client::session::Session;
use scylla::value::{
    CqlDate, CqlDecimal, CqlDuration, CqlTime, CqlTimestamp, CqlTimeuuid, CqlValue, CqlVarint,
    MaybeUnset, Row,
};

use crate::client::connect;
use crate::harness::NodeProc;

const COLUMNS: [(&str, &str); 21] = [
    ("a", "ascii"),
    ("bi", "bigint"),
    ("bl", "blob"),
    ("bo", "boolean"),
    ("de", "decimal"),
    ("do", "double"),
    ("fl", "float"),
    ("ine", "inet"),
    ("i", "int"),
    ("si", "smallint"),
    ("t", "text"),
    ("ti", "time"),
    ("ts", "timestamp"),
    ("tu", "timeuuid"),
    ("tin", "tinyint"),
    ("u", "uuid"),
    ("vi", "varint"),
    ("da", "date"),
    ("du", "duration"),
    ("ve", "vector<float, 3>"),
    ("vd", "vector<double, 2>"),
];

/// Two's-complement big-endian bytes of ±(2^bits - 1) (`-` gives -(2^bits - 1)).
fn huge(bits: usize, negative: bool) -> Vec<u8> {
    let mut v = vec![0xFFu8; bits / 8];
    v.insert(0, 0x00);
    if negative {
        // -(x) = !x + 1 on the full width.
        let mut carry = true;
        for b in v.iter_mut().rev() {
            let (n, c) = (!*b).overflowing_add(u8::from(carry));
            *b = n;
            carry = c;
        }
    }
    v
}

fn edge_rows() -> Vec<Vec<CqlValue>> {
    let timeuuid = CqlTimeuuid::from_bytes([
        0x13, 0x81, 0x40, 0x00, 0x1d, 0xd2, 0x11, 0xb2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80,
    ]);
    let low = vec![
        CqlValue::Ascii(String::new()),
        CqlValue::BigInt(i64::MIN),
        CqlValue::Blob(vec![]),
        CqlValue::Boolean(false),
        CqlValue::Decimal(CqlDecimal::from_signed_be_bytes_and_exponent(
            huge(256, true),
            i32::MIN,
        )),
        CqlValue::Double(f64::NEG_INFINITY),
        CqlValue::Float(f32::MIN_POSITIVE),
        CqlValue::Inet("0.0.0.0".parse().unwrap()),
        CqlValue::Int(i32::MIN),
        CqlValue::SmallInt(i16::MIN),
        CqlValue::Text(String::new()),
        CqlValue::Time(CqlTime(0)),
        CqlValue::Timestamp(CqlTimestamp(i64::MIN)),
        CqlValue::Timeuuid(timeuuid),
        CqlValue::TinyInt(i8::MIN),
        CqlValue::Uuid(uuid::Uuid::nil()),
        CqlValue::Varint(CqlVarint::from_signed_bytes_be(huge(512, true))),
        CqlValue::Date(CqlDate(0)),
        CqlValue::Duration(CqlDuration {
            months: -1,
            days: -2,
            nanoseconds: -3,
        }),
        CqlValue::Vector(vec![
            CqlValue::Float(-0.0),
            CqlValue::Float(f32::MIN),
            CqlValue::Float(f32::NEG_INFINITY),
        ]),
        CqlValue::Vector(vec![CqlValue::Double(f64::MIN), CqlValue::Double(-1e-300)]),
    ];
    let high = vec![
        CqlValue::Ascii("~ !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}\u{7f}".into()),
        CqlValue::BigInt(i64::MAX),
        CqlValue::Blob((0..=255).collect()),
        CqlValue::Boolean(true),
        CqlValue::Decimal(CqlDecimal::from_signed_be_bytes_and_exponent(
            huge(256, false),
            i32::MAX,
        )),
        CqlValue::Double(f64::MAX),
        CqlValue::Float(f32::INFINITY),
        CqlValue::Inet("ffff::ffff:1".parse().unwrap()),
        CqlValue::Int(i32::MAX),
        CqlValue::SmallInt(i16::MAX),
        CqlValue::Text("héllo ✓ 𝄞 \u{10FFFF} ''".into()),
        CqlValue::Time(CqlTime(86_399_999_999_999)),
        CqlValue::Timestamp(CqlTimestamp(i64::MAX)),
        CqlValue::Timeuuid(CqlTimeuuid::from_bytes([
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF,
        ])),
        CqlValue::TinyInt(i8::MAX),
        CqlValue::Uuid(uuid::Uuid::max()),
        CqlValue::Varint(CqlVarint::from_signed_bytes_be(huge(512, false))),
        CqlValue::Date(CqlDate(u32::MAX)),
        CqlValue::Duration(CqlDuration {
            months: i32::MAX,
            days: i32::MAX,
            nanoseconds: i64::MAX,
        }),
        CqlValue::Vector(vec![
            CqlValue::Float(1.5),
            CqlValue::Float(f32::MAX),
            CqlValue::Float(f32::MIN_POSITIVE),
        ]),
        CqlValue::Vector(vec![CqlValue::Double(f64::MAX), CqlValue::Double(1e300)]),
    ];
    vec![low, high]
}

async fn select_row(s: &Session, k: i32) -> Vec<Option<CqlValue>> {
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let q = format!("SELECT {} FROM ty.t WHERE k = {k}", names.join(", "));
    let r = s.query_unpaged(q.as_str(), &[]).await.expect("select");
    let rows = r.into_rows_result().expect("rows");
    let mut out: Vec<Row> = rows
        .rows::<Row>()
        .expect("untyped")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(out.len(), 1, "row {k}");
    out.remove(0).columns
}

#[tokio::test]
async fn native_type_edge_values_round_trip() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    s.query_unpaged(
        "CREATE KEYSPACE ty WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        &[],
    )
    .await
    .expect("keyspace");
    let cols: Vec<String> = COLUMNS.iter().map(|(n, t)| format!("{n} {t}")).collect();
    s.query_unpaged(
        format!("CREATE TABLE ty.t (k int PRIMARY KEY, {})", cols.join(", ")),
        &[],
    )
    .await
    .expect("table");
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let marks = vec!["?"; names.len()].join(", ");
    let insert = s
        .prepare(format!(
            "INSERT INTO ty.t (k, {}) VALUES (?, {marks})",
            names.join(", ")
        ))
        .await
        .expect("prepare");
    for (k, values) in edge_rows().into_iter().enumerate() {
        let mut bound = vec![CqlValue::Int(k as i32)];
        bound.extend(values.iter().cloned());
        s.execute_unpaged(&insert, bound)
            .await
            .unwrap_or_else(|e| panic!("insert row {k}: {e}"));
        let got = select_row(&s, k as i32).await;
        for ((name, want), got) in names.iter().zip(values.iter()).zip(got.iter()) {
            assert_eq!(got.as_ref(), Some(want), "column {name} of row {k}");
        }
    }

    // NaN is not equal to itself: compare the bits.
    let p = s
        .prepare("INSERT INTO ty.t (k, fl, do) VALUES (?, ?, ?)")
        .await
        .expect("prepare");
    s.execute_unpaged(&p, (5i32, f32::NAN, f64::NAN))
        .await
        .expect("NaN");
    let r = s
        .query_unpaged("SELECT fl, do FROM ty.t WHERE k = 5", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (fl, d): (f32, f64) = r.first_row().expect("row");
    assert!(fl.is_nan() && d.is_nan());

    // Null vs unset vs empty: unset leaves the value, null deletes it, an empty
    // string is a value.
    let p = s
        .prepare("UPDATE ty.t SET t = ?, i = ? WHERE k = 1")
        .await
        .expect("prepare");
    s.execute_unpaged(
        &p,
        (
            MaybeUnset::<&str>::Unset,
            MaybeUnset::Set(Option::<i32>::None),
        ),
    )
    .await
    .expect("unset + null");
    let r = s
        .query_unpaged("SELECT t, i FROM ty.t WHERE k = 1", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (t, i): (Option<String>, Option<i32>) = r.first_row().expect("row");
    assert_eq!(t.as_deref(), Some("héllo ✓ 𝄞 \u{10FFFF} ''"));
    assert_eq!(i, None);
    s.execute_unpaged(&p, (MaybeUnset::Set(""), MaybeUnset::<i32>::Unset))
        .await
        .expect("empty");
    let r = s
        .query_unpaged("SELECT t, bl FROM ty.t WHERE k = 0", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (t, bl): (Option<String>, Option<Vec<u8>>) = r.first_row().expect("row");
    assert_eq!((t.as_deref(), bl.as_deref()), (Some(""), Some(&[][..])));

    // A vector of the wrong dimension is refused with a clear error, and the node
    // keeps serving.
    let p = s
        .prepare("INSERT INTO ty.t (k, ve) VALUES (?, ?)")
        .await
        .expect("prepare");
    let bad = CqlValue::Vector(vec![CqlValue::Float(1.0)]);
    let e = s.execute_unpaged(&p, (6i32, bad)).await;
    assert!(e.is_err(), "a 1-element vector<float, 3> was accepted");
    assert_eq!(select_row(&s, 1).await[1], Some(CqlValue::BigInt(i64::MAX)));
}
