//! Property tests of the value codecs and the key encoding over arbitrary (nested)
//! types and values: decode(encode(v)) == v, memcmp order == `compare`, ASC and DESC,
//! clustering prefixes, and arbitrary bytes never panic.

use std::cmp::Ordering;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use num_bigint::BigInt;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn leaf_type(with_duration: bool) -> BoxedStrategy<CqlType> {
    let mut v = vec![
        CqlType::Ascii,
        CqlType::Bigint,
        CqlType::Blob,
        CqlType::Boolean,
        CqlType::Counter,
        CqlType::Decimal,
        CqlType::Double,
        CqlType::Float,
        CqlType::Int,
        CqlType::Timestamp,
        CqlType::Uuid,
        CqlType::Text,
        CqlType::Varint,
        CqlType::Timeuuid,
        CqlType::Inet,
        CqlType::Date,
        CqlType::Time,
        CqlType::Smallint,
        CqlType::Tinyint,
    ];
    if with_duration {
        v.push(CqlType::Duration);
    }
    proptest::sample::select(v).boxed()
}

/// Arbitrary types; nested collections and UDTs are frozen, as Cassandra requires.
fn arb_type(with_duration: bool) -> BoxedStrategy<CqlType> {
    leaf_type(with_duration)
        .prop_recursive(3, 16, 3, |inner| {
            let frozen = |t: CqlType| match t {
                CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_) => {
                    CqlType::Frozen(Box::new(t))
                }
                t => t,
            };
            prop_oneof![
                inner
                    .clone()
                    .prop_map(move |t| CqlType::List(Box::new(frozen(t)))),
                inner
                    .clone()
                    .prop_map(move |t| CqlType::Set(Box::new(frozen(t)))),
                (inner.clone(), inner.clone())
                    .prop_map(move |(k, v)| CqlType::Map(Box::new(frozen(k)), Box::new(frozen(v)))),
                proptest::collection::vec(inner.clone(), 1..4)
                    .prop_map(move |ts| CqlType::Tuple(ts.into_iter().map(frozen).collect())),
                proptest::collection::vec(inner.clone(), 1..4).prop_map(move |ts| {
                    CqlType::Udt(Arc::new(UdtType {
                        keyspace: "ks".into(),
                        name: "u".into(),
                        fields: ts
                            .into_iter()
                            .enumerate()
                            .map(|(i, t)| (format!("f{i}"), frozen(t)))
                            .collect(),
                    }))
                }),
                (inner.clone(), 1u32..4)
                    .prop_map(move |(t, n)| CqlType::Vector(Box::new(frozen(t)), n)),
                inner.prop_map(|t| match t {
                    CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_) => {
                        CqlType::Frozen(Box::new(t))
                    }
                    t => t,
                }),
            ]
        })
        .boxed()
}

fn small_bigint() -> impl Strategy<Value = BigInt> {
    prop_oneof![
        (-300i64..300).prop_map(BigInt::from),
        any::<i64>().prop_map(BigInt::from),
        proptest::collection::vec(any::<u8>(), 1..20)
            .prop_map(|b| BigInt::from_signed_bytes_be(&b)),
    ]
}

fn arb_value(t: &CqlType, allow_empty: bool) -> BoxedStrategy<CqlValue> {
    let t = t.unfrozen().clone();
    let v: BoxedStrategy<CqlValue> = match &t {
        CqlType::Ascii => "[ -~]{0,6}".prop_map(CqlValue::Ascii).boxed(),
        CqlType::Text => prop_oneof!["[a-c\u{0}]{0,4}", any::<String>()]
            .prop_map(CqlValue::Text)
            .boxed(),
        CqlType::Blob => {
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], 0..6)
                .prop_map(|b| CqlValue::Blob(Bytes::from(b)))
                .boxed()
        }
        CqlType::Bigint => prop_oneof![-3i64..3, any::<i64>()]
            .prop_map(CqlValue::Bigint)
            .boxed(),
        CqlType::Counter => any::<i64>().prop_map(CqlValue::Counter).boxed(),
        CqlType::Int => prop_oneof![-3i32..3, any::<i32>()]
            .prop_map(CqlValue::Int)
            .boxed(),
        CqlType::Smallint => any::<i16>().prop_map(CqlValue::Smallint).boxed(),
        CqlType::Tinyint => any::<i8>().prop_map(CqlValue::Tinyint).boxed(),
        CqlType::Timestamp => any::<i64>().prop_map(CqlValue::Timestamp).boxed(),
        CqlType::Boolean => any::<bool>().prop_map(CqlValue::Boolean).boxed(),
        CqlType::Float => prop_oneof![
            Just(0.0f32),
            Just(-0.0),
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            any::<f32>()
        ]
        .prop_map(CqlValue::Float)
        .boxed(),
        CqlType::Double => prop_oneof![Just(0.0f64), Just(-0.0), Just(f64::NAN), any::<f64>()]
            .prop_map(CqlValue::Double)
            .boxed(),
        CqlType::Decimal => (small_bigint(), -12i32..12)
            .prop_map(|(unscaled, scale)| CqlValue::Decimal { unscaled, scale })
            .boxed(),
        CqlType::Varint => small_bigint().prop_map(CqlValue::Varint).boxed(),
        CqlType::Uuid => prop_oneof![any::<u128>(), (0u128..4).prop_map(|x| x << 76 | 1 << 76)]
            .prop_map(|u| CqlValue::Uuid(Uuid::from_u128(u)))
            .boxed(),
        CqlType::Timeuuid => any::<u128>()
            .prop_map(|u| CqlValue::Timeuuid(Uuid::from_u128((u & !(0xF << 76)) | (1 << 76))))
            .boxed(),
        CqlType::Inet => prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ]
        .prop_map(CqlValue::Inet)
        .boxed(),
        CqlType::Date => any::<u32>().prop_map(CqlValue::Date).boxed(),
        CqlType::Time => (0i64..86_400_000_000_000).prop_map(CqlValue::Time).boxed(),
        CqlType::Duration => (
            any::<bool>(),
            0i32..=i32::MAX,
            0i32..=i32::MAX,
            0i64..=i64::MAX,
        )
            .prop_map(|(neg, m, d, n)| {
                let s = if neg { -1 } else { 1 };
                CqlValue::Duration {
                    months: m * s,
                    days: d * s,
                    nanos: n * s as i64,
                }
            })
            .boxed(),
        CqlType::List(e) => proptest::collection::vec(arb_value(e, true), 0..4)
            .prop_map(CqlValue::List)
            .boxed(),
        CqlType::Set(e) => proptest::collection::vec(arb_value(e, true), 0..4)
            .prop_map(CqlValue::Set)
            .boxed(),
        CqlType::Map(k, v) => {
            proptest::collection::vec((arb_value(k, true), arb_value(v, true)), 0..4)
                .prop_map(CqlValue::Map)
                .boxed()
        }
        CqlType::Tuple(ts) => ts
            .iter()
            .map(|t| proptest::option::weighted(0.8, arb_value(t, true)))
            .collect::<Vec<_>>()
            .prop_map(CqlValue::Tuple)
            .boxed(),
        CqlType::Udt(u) => u
            .fields
            .iter()
            .map(|(n, t)| {
                let n = n.clone();
                proptest::option::weighted(0.8, arb_value(t, true))
                    .prop_map(move |v| (n.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(CqlValue::Udt)
            .boxed(),
        CqlType::Vector(e, n) => {
            // Vector elements cannot be empty (fixed-size ones have no room for it).
            proptest::collection::vec(arb_value(e, false), *n as usize)
                .prop_map(CqlValue::Vector)
                .boxed()
        }
        CqlType::Custom(_) | CqlType::Frozen(_) => Just(CqlValue::Blob(Bytes::new())).boxed(),
    };
    let empty_ok = accepts_empty(&t)
        && !matches!(
            t,
            CqlType::Ascii | CqlType::Text | CqlType::Blob | CqlType::Custom(_)
        )
        && allow_empty;
    if empty_ok {
        prop_oneof![1 => Just(CqlValue::Empty), 12 => v].boxed()
    } else {
        v
    }
}

fn ser(v: &CqlValue, t: &CqlType) -> Vec<u8> {
    let mut out = BytesMut::new();
    serialize(v, t, &mut out).expect("generated values serialize");
    out.to_vec()
}

fn typed_value(with_duration: bool) -> impl Strategy<Value = (CqlType, CqlValue)> {
    arb_type(with_duration).prop_flat_map(|t| arb_value(&t, true).prop_map(move |v| (t.clone(), v)))
}

/// Whether a value survives JSON exactly: no empty values (JSON null), no duplicate map
/// keys (one JSON object key), no varint or decimal (serde_json rounds big numbers),
/// no double (serde_json's default float parser may be 1 ulp off).
fn json_safe(v: &CqlValue, t: &CqlType) -> bool {
    let t = t.unfrozen();
    match (v, t) {
        (
            CqlValue::Empty | CqlValue::Varint(_) | CqlValue::Decimal { .. } | CqlValue::Double(_),
            _,
        ) => false,
        (
            CqlValue::List(xs) | CqlValue::Set(xs) | CqlValue::Vector(xs),
            CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _),
        ) => xs.iter().all(|x| json_safe(x, e)),
        (CqlValue::Map(kvs), CqlType::Map(k, vt)) => {
            let keys: std::collections::HashSet<String> =
                kvs.iter().map(|(x, _)| to_json_string(x, k)).collect();
            // A map as a map key is JSON text inside a string: its order would matter.
            !has_map(k)
                && keys.len() == kvs.len()
                && kvs.iter().all(|(x, y)| json_safe(x, k) && json_safe(y, vt))
        }
        (CqlValue::Tuple(xs), CqlType::Tuple(ts)) => xs
            .iter()
            .zip(ts)
            .all(|(x, t)| x.as_ref().is_none_or(|x| json_safe(x, t))),
        (CqlValue::Udt(fs), CqlType::Udt(u)) => fs
            .iter()
            .zip(&u.fields)
            .all(|((_, x), (_, t))| x.as_ref().is_none_or(|x| json_safe(x, t))),
        _ => true,
    }
}

fn typed_pair() -> impl Strategy<Value = (CqlType, Vec<u8>, Vec<u8>)> {
    arb_type(false).prop_flat_map(|t| {
        let a = arb_value(&t, false);
        let b = arb_value(&t, false);
        (Just(t), a, b, any::<bool>()).prop_map(|(t, a, b, same)| {
            let x = ser(&a, &t);
            let y = if same { x.clone() } else { ser(&b, &t) };
            (t, x, y)
        })
    })
}

fn key(t: &CqlType, v: &[u8], desc: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key_component(t, v, desc, &mut out).expect("valid values encode");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn serialize_deserialize_round_trip((t, v) in typed_value(true)) {
        let bytes = ser(&v, &t);
        prop_assert_eq!(validate(&t, &bytes), Ok(()));
        let back = deserialize(&t, &bytes).expect("own output deserializes");
        prop_assert_eq!(ser(&back, &t), bytes);
        // NaN is not equal to itself; otherwise the value comes back as it was.
        if v == v {
            prop_assert_eq!(back, v);
        }
    }

    #[test]
    fn memcmp_of_keys_is_cassandras_order((t, a, b) in typed_pair()) {
        let c = try_compare(&t, &a, &b).expect("comparable");
        prop_assert_eq!(key(&t, &a, false).cmp(&key(&t, &b, false)), c);
        prop_assert_eq!(key(&t, &a, true).cmp(&key(&t, &b, true)), c.reverse());
        prop_assert_eq!(try_compare(&t, &b, &a).expect("comparable"), c.reverse());
    }

    #[test]
    fn key_components_decode_to_equal_values((t, a, _b) in typed_pair(), desc in any::<bool>()) {
        let mut k = key(&t, &a, desc);
        let len = k.len();
        k.extend_from_slice(&[0x00, 0x13, 0xFF]); // a following component
        let (back, used) = decode_key_component(&t, &k, desc).expect("decodes");
        prop_assert_eq!(used, len);
        prop_assert_eq!(validate(&t, &back), Ok(()));
        prop_assert_eq!(compare(&t, &back, &a), Ordering::Equal);
    }

    #[test]
    fn clustering_prefixes_sort_like_cassandra(
        cols in proptest::collection::vec((arb_type(false), any::<bool>()), 1..4)
            .prop_flat_map(|cols| {
                let row = |cols: &Vec<(CqlType, bool)>| {
                    cols.iter().map(|(t, _)| arb_value(t, false)).collect::<Vec<_>>()
                };
                let (r1, r2) = (row(&cols), row(&cols));
                let n = cols.len();
                (Just(cols), r1, r2, 0..=n, 0..=n, any::<bool>())
            })
    ) {
        let (cols, r1, r2, n1, n2, share) = cols;
        let enc = |row: &[CqlValue], n: usize| {
            let mut out = Vec::new();
            let mut sers = Vec::new();
            for ((t, desc), v) in cols.iter().zip(row).take(n) {
                let s = ser(v, t);
                encode_key_component(t, &s, *desc, &mut out).expect("encodes");
                sers.push(s);
            }
            (out, sers)
        };
        let (k1, s1) = enc(&r1, n1);
        // Sharing the first component makes deeper comparisons happen.
        let r2: Vec<CqlValue> = if share { r1.iter().take(1).cloned().chain(r2.into_iter().skip(1)).collect() } else { r2 };
        let (k2, s2) = enc(&r2, n2);
        let mut want = Ordering::Equal;
        for (((t, desc), x), y) in cols.iter().zip(&s1).zip(&s2) {
            let c = compare(t, x, y);
            let c = if *desc { c.reverse() } else { c };
            if c != Ordering::Equal {
                want = c;
                break;
            }
        }
        if want == Ordering::Equal {
            want = s1.len().cmp(&s2.len());
        }
        prop_assert_eq!(k1.cmp(&k2), want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(t in arb_type(true), bytes in proptest::collection::vec(any::<u8>(), 0..40), desc in any::<bool>()) {
        let d = deserialize(&t, &bytes);
        prop_assert_eq!(d.is_ok(), validate(&t, &bytes).is_ok());
        let _ = compare(&t, &bytes, &bytes);
        let mut out = Vec::new();
        let _ = encode_key_component(&t, &bytes, desc, &mut out);
        let _ = decode_key_component(&t, &bytes, desc);
        let _ = CqlType::decode_option(&mut Bytes::from(bytes.clone()));
    }

    #[test]
    fn options_and_names_round_trip(t in arb_type(true)) {
        let mut out = BytesMut::new();
        t.encode_option(&mut out);
        let back = CqlType::decode_option(&mut out.freeze()).expect("decodes");
        // Frozenness does not travel on the wire.
        prop_assert_eq!(back.cql_name().replace("frozen<", "").replace('>', ""),
            t.cql_name().replace("frozen<", "").replace('>', ""));
        let udt = |n: &str| match &t { _ if n == "u" => find_udt(&t), _ => None };
        let parsed = CqlType::parse_cql(&t.cql_name(), &udt).expect("own names parse");
        prop_assert_eq!(parsed.cql_name(), t.cql_name());
        prop_assert_eq!(CqlType::from_java_class(&t.java_class()).map(|x| x.java_class()), Ok(t.java_class()));
    }

    #[test]
    fn text_inputs_never_panic(s in any::<String>(), k in 0usize..7) {
        let kinds = [LiteralKind::String, LiteralKind::Integer, LiteralKind::Float, LiteralKind::Boolean,
            LiteralKind::Uuid, LiteralKind::Hex, LiteralKind::Duration];
        for t in [CqlType::Timestamp, CqlType::Date, CqlType::Time, CqlType::Duration, CqlType::Decimal, CqlType::Int] {
            let _ = from_literal(kinds[k], &s, &t);
        }
        let _ = CqlType::parse_cql(&s, &|_| None);
        let _ = CqlType::from_java_class(&s);
    }

    #[test]
    fn json_round_trips((t, v) in typed_value(true)) {
        prop_assume!(json_safe(&v, &t));
        let text = to_json_string(&v, &t);
        let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let back = from_json(&json, &t).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        // JSON objects do not keep key order: compare as JSON, and as bytes when the
        // value holds no map.
        prop_assert_eq!(to_json(&back, &t), json, "{}", text);
        if !has_map(&t) {
            prop_assert_eq!(ser(&back, &t), ser(&v, &t), "{}", text);
        }
    }
}

fn has_map(t: &CqlType) -> bool {
    match t {
        CqlType::Map(..) => true,
        CqlType::List(e) | CqlType::Set(e) | CqlType::Frozen(e) | CqlType::Vector(e, _) => {
            has_map(e)
        }
        CqlType::Tuple(ts) => ts.iter().any(has_map),
        CqlType::Udt(u) => u.fields.iter().any(|(_, t)| has_map(t)),
        _ => false,
    }
}

/// The UDT named `u` somewhere inside `t` (the generated UDTs are all called `u`, and
/// may differ: any one makes the name parse, the check compares names only).
fn find_udt(t: &CqlType) -> Option<Arc<UdtType>> {
    match t {
        CqlType::Udt(u) => Some(u.clone()),
        CqlType::List(e) | CqlType::Set(e) | CqlType::Frozen(e) | CqlType::Vector(e, _) => {
            find_udt(e)
        }
        CqlType::Map(k, v) => find_udt(k).or_else(|| find_udt(v)),
        CqlType::Tuple(ts) => ts.iter().find_map(find_udt),
        _ => None,
    }
}

#[test]
fn known_byte_vectors() {
    let s = |v: CqlValue, t: CqlType| ser(&v, &t);
    assert_eq!(
        s(CqlValue::Varint(BigInt::from(-1)), CqlType::Varint),
        vec![0xFF]
    );
    assert_eq!(
        s(CqlValue::Varint(BigInt::from(128)), CqlType::Varint),
        vec![0x00, 0x80]
    );
    assert_eq!(
        s(CqlValue::Varint(BigInt::from(0)), CqlType::Varint),
        vec![0x00]
    );
    assert_eq!(
        s(CqlValue::Varint(BigInt::from(-129)), CqlType::Varint),
        vec![0xFF, 0x7F]
    );
    assert_eq!(
        s(
            CqlValue::Decimal {
                unscaled: BigInt::from(1250),
                scale: 2
            },
            CqlType::Decimal
        ),
        vec![0, 0, 0, 2, 0x04, 0xE2]
    );
    assert_eq!(
        s(
            CqlValue::Decimal {
                unscaled: BigInt::from(-1),
                scale: -3
            },
            CqlType::Decimal
        ),
        vec![0xFF, 0xFF, 0xFF, 0xFD, 0xFF]
    );
    assert_eq!(
        s(CqlValue::Date(1 << 31), CqlType::Date),
        vec![0x80, 0, 0, 0]
    );
    assert_eq!(
        s(
            CqlValue::Duration {
                months: -1,
                days: -2,
                nanos: -3
            },
            CqlType::Duration
        ),
        vec![0x01, 0x03, 0x05]
    );
    assert_eq!(
        s(
            CqlValue::Duration {
                months: 1,
                days: 2,
                nanos: 3_600_000_000_000
            },
            CqlType::Duration
        ),
        vec![0x02, 0x04, 0xFC, 0x06, 0x8C, 0x61, 0x71, 0x40, 0x00]
    );
    assert_eq!(
        s(CqlValue::Int(-2), CqlType::Int),
        vec![0xFF, 0xFF, 0xFF, 0xFE]
    );
    assert_eq!(s(CqlValue::Boolean(true), CqlType::Boolean), vec![1]);
    assert_eq!(
        s(CqlValue::Inet("127.0.0.1".parse().unwrap()), CqlType::Inet),
        vec![127, 0, 0, 1]
    );
    let list = CqlType::List(Box::new(CqlType::Int));
    assert_eq!(
        s(CqlValue::List(vec![CqlValue::Int(1)]), list.clone()),
        vec![0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]
    );
    let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Text]);
    assert_eq!(
        s(
            CqlValue::Tuple(vec![None, Some(CqlValue::Text("a".into()))]),
            tuple
        ),
        vec![0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, b'a']
    );
    let vector = CqlType::Vector(Box::new(CqlType::Float), 2);
    assert_eq!(
        s(
            CqlValue::Vector(vec![CqlValue::Float(1.0), CqlValue::Float(2.0)]),
            vector
        ),
        vec![0x3F, 0x80, 0, 0, 0x40, 0, 0, 0]
    );
    // smallint is "variable length" for Cassandra's vectors: each element has a length.
    let vsmall = CqlType::Vector(Box::new(CqlType::Smallint), 2);
    assert_eq!(
        s(
            CqlValue::Vector(vec![CqlValue::Smallint(1), CqlValue::Smallint(-1)]),
            vsmall
        ),
        vec![2, 0, 1, 2, 0xFF, 0xFF]
    );
    let vtext = CqlType::Vector(Box::new(CqlType::Text), 2);
    assert_eq!(
        s(
            CqlValue::Vector(vec![CqlValue::Text("a".into()), CqlValue::Text("".into())]),
            vtext
        ),
        vec![1, b'a', 0]
    );
}

#[test]
fn invalid_values_give_cassandras_messages() {
    let msg = |t: CqlType, b: &[u8]| validate(&t, b).map_err(|e| e.to_string()).err();
    assert_eq!(
        msg(CqlType::Int, &[1, 2, 3]),
        Some("Expected 4 or 0 byte int (3)".into())
    );
    assert_eq!(
        msg(CqlType::Text, &[0xC3, 0x28]),
        Some("String didn't validate.".into())
    );
    assert_eq!(
        msg(CqlType::Ascii, &[b'a', 0xC3]),
        Some("Invalid byte for ascii: -61".into())
    );
    assert_eq!(
        msg(CqlType::Smallint, &[]),
        Some("Expected 2 bytes for a smallint (0)".into())
    );
    assert_eq!(
        msg(CqlType::Timeuuid, &[0; 16]),
        Some("Invalid version for TimeUUID type.".into())
    );
    assert_eq!(
        msg(
            CqlType::List(Box::new(CqlType::Int)),
            &[0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]
        ),
        Some("null is not supported inside collections".into())
    );
    assert_eq!(
        msg(CqlType::Duration, &[0x02, 0x01, 0x00]),
        Some(
            "The duration months, days and nanoseconds must be all of the same sign (1, -1, 0)"
                .into()
        )
    );
    assert_eq!(deserialize(&CqlType::Int, &[]), Ok(CqlValue::Empty));
    assert_eq!(
        deserialize(&CqlType::Text, &[]),
        Ok(CqlValue::Text(String::new()))
    );
    // A tuple written before a field was added reads the missing field as null.
    let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Int]);
    assert_eq!(
        deserialize(&tuple, &[0, 0, 0, 4, 0, 0, 0, 7]),
        Ok(CqlValue::Tuple(vec![Some(CqlValue::Int(7)), None]))
    );
}

#[test]
fn partition_keys_use_composite_type_for_several_components() {
    assert_eq!(&partition_key_bytes(&[b"abc"])[..], b"abc");
    assert_eq!(
        &partition_key_bytes(&[&[0, 0, 0, 1], b"x"])[..],
        &[0, 4, 0, 0, 0, 1, 0, 0, 1, b'x', 0]
    );
}

#[test]
fn duration_is_refused_in_keys() {
    let mut out = Vec::new();
    assert!(matches!(
        encode_key_component(&CqlType::Duration, &[0, 0, 2], false, &mut out),
        Err(TypeError::NotComparable(_))
    ));
    assert!(out.is_empty());
}
