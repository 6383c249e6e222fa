//! Serialized values checked against a real client: each hex string below is what the
//! Python driver (cassandra-driver 3.30.1, `cqltypes.<Type>.to_binary(value, 4)`)
//! produced for the value noted. They pin our codecs to the drivers' view.

use std::str::FromStr;

use bytes::BytesMut;
use num_bigint::BigInt;

use super::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn check(typ: &str, value: CqlValue, hex: &str) {
    let t = CqlType::parse_cql(typ, &|_| None).expect("type parses");
    let mut out = BytesMut::new();
    serialize(&value, &t, &mut out).expect("serializes");
    assert_eq!(&out[..], &unhex(hex)[..], "{typ} {value:?}");
    assert_eq!(deserialize(&t, &out), Ok(value), "{typ} back");
}

#[test]
fn values_match_the_python_driver() {
    let big = |s: &str| BigInt::from_str(s).expect("number");
    let dec = |u: i64, scale| CqlValue::Decimal {
        unscaled: BigInt::from(u),
        scale,
    };
    check("varint", CqlValue::Varint(big("-1")), "ff");
    check("varint", CqlValue::Varint(big("128")), "0080");
    check("varint", CqlValue::Varint(big("0")), "00");
    check("varint", CqlValue::Varint(big("-129")), "ff7f");
    check(
        "varint",
        CqlValue::Varint(big("1180591620717411303424")),
        "400000000000000000",
    );
    check("decimal", dec(1250, 2), "0000000204e2");
    check("decimal", dec(-1, -3), "fffffffdff");
    check("decimal", dec(1, 3), "0000000301");
    check("date", CqlValue::Date(1 << 31), "80000000");
    check("date", CqlValue::Date((1 << 31) + 15008), "80003aa0"); // 2011-02-03
    check("date", CqlValue::Date(0x7ff5_06c6), "7ff506c6"); // 0001-01-01
    check(
        "time",
        CqlValue::Time(29_574_123_456_789),
        "00001ae5c31f8915",
    );
    let dur = |months, days, nanos| CqlValue::Duration {
        months,
        days,
        nanos,
    };
    check(
        "duration",
        dur(1, 2, 3_600_000_000_000),
        "0204fc068c61714000",
    );
    check("duration", dur(-1, -2, -3), "010305");
    check(
        "timestamp",
        CqlValue::Timestamp(1_296_705_900_000),
        "0000012de9b1cde0",
    );
    check(
        "inet",
        CqlValue::Inet("127.0.0.1".parse().expect("ip")),
        "7f000001",
    );
    check(
        "inet",
        CqlValue::Inet("::1".parse().expect("ip")),
        "00000000000000000000000000000001",
    );
    check(
        "list<int>",
        CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]),
        "0000000200000004000000010000000400000002",
    );
    check(
        "map<text, int>",
        CqlValue::Map(vec![(CqlValue::Text("a".into()), CqlValue::Int(1))]),
        "0000000100000001610000000400000001",
    );
    check(
        "tuple<int, text>",
        CqlValue::Tuple(vec![None, Some(CqlValue::Text("a".into()))]),
        "ffffffff0000000161",
    );
    let floats = [1.0, 2.0, 3.0].map(CqlValue::Float).to_vec();
    check(
        "vector<float, 3>",
        CqlValue::Vector(floats),
        "3f8000004000000040400000",
    );
    let texts = vec![CqlValue::Text("a".into()), CqlValue::Text(String::new())];
    check("vector<text, 2>", CqlValue::Vector(texts), "016100");
    // smallint counts as variable-length for vectors: each element has a length.
    let smalls = vec![CqlValue::Smallint(1), CqlValue::Smallint(-1)];
    check(
        "vector<smallint, 2>",
        CqlValue::Vector(smalls),
        "02000102ffff",
    );
    let bigints = vec![CqlValue::Bigint(1), CqlValue::Bigint(-1)];
    check(
        "vector<bigint, 2>",
        CqlValue::Vector(bigints),
        "0000000000000001ffffffffffffffff",
    );
}

#[test]
fn our_calendar_agrees_with_the_driver() {
    let date = |s: &str| from_literal(LiteralKind::String, s, &CqlType::Date);
    assert_eq!(date("2011-02-03"), Ok(CqlValue::Date(0x8000_3aa0)));
    assert_eq!(date("0001-01-01"), Ok(CqlValue::Date(0x7ff5_06c6)));
    assert_eq!(temporal::format_date(0x7ff5_06c6), "0001-01-01");
    let time = from_literal(LiteralKind::String, "08:12:54.123456789", &CqlType::Time);
    assert_eq!(time, Ok(CqlValue::Time(0x1ae5_c31f_8915)));
}

#[test]
fn the_driver_reads_our_class_names_as_these_types() {
    // `lookup_casstype(java_class).cql_parameterized_type()` in the Python driver.
    let name = |s: &str| CqlType::parse_cql(s, &|_| None).expect("parses");
    assert_eq!(name("map<text, int>").java_class(), "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.Int32Type)");
    assert_eq!(name("frozen<list<int>>").java_class(), "org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type))");
    assert_eq!(name("frozen<tuple<int, text>>").java_class(), "org.apache.cassandra.db.marshal.TupleType(org.apache.cassandra.db.marshal.Int32Type,org.apache.cassandra.db.marshal.UTF8Type)");
}
