//! The parser/types contract for constants, end to end: the parser's `Literal` (kind
//! and text, sign folded in) goes through [`from_literal`] and gives the value
//! Cassandra would store.

use bytes::Bytes;
use num_bigint::BigInt;

use super::*;
use crate::parser::{parse_statement, InsertValues, Statement, Term};

fn values_of(cql: &str) -> Vec<Term> {
    match parse_statement(cql).expect("parses") {
        Statement::Insert(insert) => match insert.values {
            InsertValues::Values { values, .. } => values,
            other => panic!("not a VALUES insert: {other:?}"),
        },
        other => panic!("not an insert: {other:?}"),
    }
}

#[test]
fn parsed_constants_convert_to_cassandras_values() {
    let terms = values_of(
        "INSERT INTO t (a, b, c, d, e, f, g, h, i, j, k) VALUES \
         (-5, -1.5e3, 'it''s', 0xCAFE, true, 50554d6e-29bb-11e5-b345-feff819cdc9f, \
          -1h30m, P1DT2H, -NaN, '2011-02-03 04:05:00+0000', $$x'y$$)",
    );
    let types = [
        CqlType::Int,
        CqlType::Decimal,
        CqlType::Text,
        CqlType::Blob,
        CqlType::Boolean,
        CqlType::Timeuuid,
        CqlType::Duration,
        CqlType::Duration,
        CqlType::Double,
        CqlType::Timestamp,
        CqlType::Text,
    ];
    let got: Vec<CqlValue> = terms
        .iter()
        .zip(&types)
        .map(|(term, typ)| match term {
            Term::Literal(l) => {
                from_literal(l.kind, &l.text, typ).unwrap_or_else(|e| panic!("{l:?} as {typ}: {e}"))
            }
            other => panic!("not a constant: {other:?}"),
        })
        .collect();
    let h = 3_600_000_000_000i64;
    assert_eq!(got[0], CqlValue::Int(-5));
    assert_eq!(
        got[1],
        CqlValue::Decimal {
            unscaled: BigInt::from(-15),
            scale: -2
        }
    );
    assert_eq!(got[2], CqlValue::Text("it's".into()));
    assert_eq!(got[3], CqlValue::Blob(Bytes::from_static(&[0xca, 0xfe])));
    assert_eq!(got[4], CqlValue::Boolean(true));
    assert!(matches!(got[5], CqlValue::Timeuuid(u) if u.get_version_num() == 1));
    assert_eq!(
        got[6],
        CqlValue::Duration {
            months: 0,
            days: 0,
            nanos: -(h + h / 2)
        }
    );
    assert_eq!(
        got[7],
        CqlValue::Duration {
            months: 0,
            days: 1,
            nanos: 2 * h
        }
    );
    assert!(matches!(got[8], CqlValue::Double(d) if d.is_nan()));
    assert_eq!(got[9], CqlValue::Timestamp(1_296_705_900_000));
    assert_eq!(got[10], CqlValue::Text("x'y".into()));
}

#[test]
fn a_wrong_constant_names_the_column_like_cassandra() {
    let terms = values_of("INSERT INTO t (k) VALUES ('foo')");
    let Some(Term::Literal(l)) = terms.first() else {
        panic!("one constant")
    };
    let err = from_literal(l.kind, &l.text, &CqlType::Int).expect_err("string into int");
    assert_eq!(
        err.for_receiver("k"),
        "Invalid STRING constant (foo) for \"k\" of type int"
    );
}
