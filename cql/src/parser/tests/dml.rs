//! SELECT, INSERT, UPDATE, DELETE and BATCH.

use super::*;
use crate::types::CqlType;

fn select(s: &str) -> Select {
    match parse(s) {
        Statement::Select(s) => *s,
        other => panic!("not a select: {other:?}"),
    }
}

fn insert(s: &str) -> Insert {
    match parse(s) {
        Statement::Insert(s) => *s,
        other => panic!("not an insert: {other:?}"),
    }
}

fn update(s: &str) -> Update {
    match parse(s) {
        Statement::Update(s) => *s,
        other => panic!("not an update: {other:?}"),
    }
}

fn delete(s: &str) -> Delete {
    match parse(s) {
        Statement::Delete(s) => *s,
        other => panic!("not a delete: {other:?}"),
    }
}

fn col(name: &str) -> SelectorExpr {
    SelectorExpr::Column(name.into())
}

fn simple(column: &str, op: Operator, value: Term) -> Relation {
    Relation::Simple {
        column: column.into(),
        op,
        value,
    }
}

#[test]
fn select_full_clause_order() {
    let s = select(
        "SELECT a, b AS bee FROM ks.t WHERE k = 1 AND c >= 2 GROUP BY k, c \
         ORDER BY c DESC PER PARTITION LIMIT 3 LIMIT 10 ALLOW FILTERING;",
    );
    assert_eq!(s.table, qn(Some("ks"), "t"));
    assert_eq!(
        s.selection,
        Selection::Selectors(vec![
            Selector {
                expr: col("a"),
                alias: None
            },
            Selector {
                expr: col("b"),
                alias: Some("bee".into())
            },
        ])
    );
    assert_eq!(
        s.where_clause,
        vec![
            simple("k", Operator::Eq, int("1")),
            simple("c", Operator::Gte, int("2"))
        ]
    );
    assert_eq!(s.group_by, vec![col("k"), col("c")]);
    assert_eq!(s.order_by, vec![("c".to_string(), Order::Desc)]);
    assert_eq!(s.per_partition_limit, Some(int("3")));
    assert_eq!(s.limit, Some(int("10")));
    assert!(s.allow_filtering && !s.distinct && !s.json);
}

#[test]
fn select_wildcard_distinct_json() {
    let s = select("select distinct k from t");
    assert!(s.distinct && !s.json);
    let s = select("SELECT JSON * FROM t");
    assert!(s.json && s.selection == Selection::Wildcard);
    // `json` and `distinct` are unreserved: here they are column names.
    let s = select("SELECT json, distinct FROM t");
    assert!(!s.json && !s.distinct);
    assert_eq!(
        s.selection,
        Selection::Selectors(vec![
            Selector {
                expr: col("json"),
                alias: None
            },
            Selector {
                expr: col("distinct"),
                alias: None
            },
        ])
    );
}

#[test]
fn unreserved_keywords_are_column_names() {
    let s = select("SELECT key, type, value, status, date, time, text, ttl, count, writetime FROM t WHERE key = 1");
    let Selection::Selectors(sel) = s.selection else {
        panic!("selectors")
    };
    let names: Vec<_> = sel.iter().map(|s| s.expr.clone()).collect();
    let expect: Vec<_> = [
        "key",
        "type",
        "value",
        "status",
        "date",
        "time",
        "text",
        "ttl",
        "count",
        "writetime",
    ]
    .iter()
    .map(|n| col(n))
    .collect();
    assert_eq!(names, expect);
    let i = insert("INSERT INTO t (key, value, type) VALUES (1, 2, 3)");
    assert!(
        matches!(i.values, InsertValues::Values { ref columns, .. } if columns == &["key", "value", "type"])
    );
}

#[test]
fn identifiers_fold_unless_quoted() {
    let s = select("SELECT MyCol, \"MyCol\", \"with \"\"quote\"\"\" FROM \"KS\".Tab");
    assert_eq!(s.table, qn(Some("KS"), "tab"));
    let Selection::Selectors(sel) = s.selection else {
        panic!("selectors")
    };
    assert_eq!(sel[0].expr, col("mycol"));
    assert_eq!(sel[1].expr, col("MyCol"));
    assert_eq!(sel[2].expr, col("with \"quote\""));
    // A reserved word works once quoted.
    let s = select("SELECT \"select\" FROM t");
    assert!(matches!(s.selection, Selection::Selectors(ref v) if v[0].expr == col("select")));
}

#[test]
fn selector_functions_and_specials() {
    let s = select(
        "SELECT COUNT(*), count(1), count(v), WRITETIME(v), TTL(v), MAXWRITETIME(v), \
         CAST(v AS text), ks.f(a, 1), token(k), toJson(m), u.street, m['k'], m['a'..'c'], a + 2 * b, -a \
         FROM t",
    );
    let Selection::Selectors(sel) = s.selection else {
        panic!("selectors")
    };
    let exprs: Vec<_> = sel.into_iter().map(|s| s.expr).collect();
    let v = || Box::new(col("v"));
    assert_eq!(exprs[0], SelectorExpr::CountAll);
    assert_eq!(exprs[1], SelectorExpr::CountAll);
    assert_eq!(
        exprs[2],
        SelectorExpr::FunctionCall {
            name: qn(None, "count"),
            args: vec![col("v")]
        }
    );
    assert_eq!(exprs[3], SelectorExpr::WriteTime(v()));
    assert_eq!(exprs[4], SelectorExpr::Ttl(v()));
    assert_eq!(exprs[5], SelectorExpr::MaxWriteTime(v()));
    assert_eq!(
        exprs[6],
        SelectorExpr::Cast {
            expr: v(),
            typ: RawType::Native(CqlType::Text)
        }
    );
    assert_eq!(
        exprs[7],
        SelectorExpr::FunctionCall {
            name: qn(Some("ks"), "f"),
            args: vec![col("a"), SelectorExpr::Term(int("1"))]
        }
    );
    assert_eq!(
        exprs[8],
        SelectorExpr::FunctionCall {
            name: qn(None, "token"),
            args: vec![col("k")]
        }
    );
    assert_eq!(
        exprs[9],
        SelectorExpr::FunctionCall {
            name: qn(None, "tojson"),
            args: vec![col("m")]
        }
    );
    assert_eq!(
        exprs[10],
        SelectorExpr::Field {
            expr: Box::new(col("u")),
            field: "street".into()
        }
    );
    assert_eq!(
        exprs[11],
        SelectorExpr::Element {
            expr: Box::new(col("m")),
            key: string("k")
        }
    );
    assert_eq!(
        exprs[12],
        SelectorExpr::Slice {
            expr: Box::new(col("m")),
            from: Some(string("a")),
            to: Some(string("c"))
        }
    );
    assert_eq!(
        exprs[13],
        SelectorExpr::Arithmetic {
            op: ArithmeticOp::Add,
            left: Box::new(col("a")),
            right: Box::new(SelectorExpr::Arithmetic {
                op: ArithmeticOp::Mul,
                left: Box::new(SelectorExpr::Term(int("2"))),
                right: Box::new(col("b")),
            }),
        }
    );
    assert_eq!(exprs[14], SelectorExpr::Negation(Box::new(col("a"))));
}

#[test]
fn relations_of_every_shape() {
    let s = select(
        "SELECT * FROM t WHERE k IN (1, 2) AND c IN ? AND (c1, c2) > (1, 'a') AND (c1, c2) IN ((1, 'a'), (2, 'b')) \
         AND token(k) > token(5) AND tags CONTAINS 'x' AND m CONTAINS KEY 'k' AND m['k'] = 1 AND name LIKE 'a%' \
         AND v != 3 AND (c1) = ?",
    );
    let w = s.where_clause;
    assert_eq!(
        w[0],
        Relation::In {
            column: "k".into(),
            values: InValues::List(vec![int("1"), int("2")])
        }
    );
    assert_eq!(
        w[1],
        Relation::In {
            column: "c".into(),
            values: InValues::Marker(BindMarker {
                index: 0,
                name: None
            })
        }
    );
    assert_eq!(
        w[2],
        Relation::MultiColumn {
            columns: vec!["c1".into(), "c2".into()],
            op: Operator::Gt,
            value: Term::Tuple(vec![int("1"), string("a")]),
        }
    );
    assert_eq!(
        w[3],
        Relation::MultiColumnIn {
            columns: vec!["c1".into(), "c2".into()],
            values: InValues::List(vec![
                Term::Tuple(vec![int("1"), string("a")]),
                Term::Tuple(vec![int("2"), string("b")])
            ]),
        }
    );
    assert_eq!(
        w[4],
        Relation::Token {
            columns: vec!["k".into()],
            op: Operator::Gt,
            value: Term::FunctionCall {
                name: qn(None, "token"),
                args: vec![int("5")]
            },
        }
    );
    assert_eq!(w[5], simple("tags", Operator::Contains, string("x")));
    assert_eq!(w[6], simple("m", Operator::ContainsKey, string("k")));
    assert_eq!(
        w[7],
        Relation::MapElement {
            column: "m".into(),
            key: string("k"),
            op: Operator::Eq,
            value: int("1")
        }
    );
    assert_eq!(w[8], simple("name", Operator::Like, string("a%")));
    assert_eq!(w[9], simple("v", Operator::Neq, int("3")));
    assert_eq!(
        w[10],
        Relation::MultiColumn {
            columns: vec!["c1".into()],
            op: Operator::Eq,
            value: marker(1)
        }
    );
}

#[test]
fn every_literal_kind() {
    let i = insert(
        "INSERT INTO t (a,b,c,d,e,f,g,h,i,j,k,l,m,n) VALUES ('it''s', $$dollar'd$$, -12, 3.5e-2, true, FALSE, \
         NaN, -Infinity, 0xCAFE, 50554d6e-29bb-11e5-b345-feff819cdc9f, 1h30m, P1DT2H, null, -7d)",
    );
    let InsertValues::Values { values, .. } = i.values else {
        panic!("values")
    };
    use LiteralKind as L;
    assert_eq!(
        values,
        vec![
            lit(L::String, "it's"),
            lit(L::String, "dollar'd"),
            lit(L::Integer, "-12"),
            lit(L::Float, "3.5e-2"),
            lit(L::Boolean, "true"),
            lit(L::Boolean, "false"),
            lit(L::Float, "NaN"),
            lit(L::Float, "-Infinity"),
            lit(L::Hex, "0xCAFE"),
            lit(L::Uuid, "50554d6e-29bb-11e5-b345-feff819cdc9f"),
            lit(L::Duration, "1h30m"),
            lit(L::Duration, "P1DT2H"),
            Term::Null,
            lit(L::Duration, "-7d"),
        ]
    );
}

#[test]
fn collection_tuple_udt_literals_and_hints() {
    let i = insert(
        "INSERT INTO t (l, s, m, e, tu, u, h, f, v) VALUES ([1, 2], {'a', 'b'}, {'k': 1, 'j': 2}, {}, \
         (1, 'x'), {street: 'Main', \"Zip\": 12345}, (int) ?, now(), [[1.0, 2.0]])",
    );
    let InsertValues::Values { values, .. } = i.values else {
        panic!("values")
    };
    assert_eq!(values[0], Term::List(vec![int("1"), int("2")]));
    assert_eq!(values[1], Term::Set(vec![string("a"), string("b")]));
    assert_eq!(
        values[2],
        Term::Map(vec![(string("k"), int("1")), (string("j"), int("2"))])
    );
    assert_eq!(values[3], Term::Map(vec![]));
    assert_eq!(values[4], Term::Tuple(vec![int("1"), string("x")]));
    assert_eq!(
        values[5],
        Term::Udt(vec![
            ("street".into(), string("Main")),
            ("Zip".into(), int("12345"))
        ])
    );
    assert_eq!(
        values[6],
        Term::TypeHint {
            typ: RawType::Native(CqlType::Int),
            term: Box::new(marker(0))
        }
    );
    assert_eq!(
        values[7],
        Term::FunctionCall {
            name: qn(None, "now"),
            args: vec![]
        }
    );
    let l = LiteralKind::Float;
    assert_eq!(
        values[8],
        Term::List(vec![Term::List(vec![lit(l, "1.0"), lit(l, "2.0")])])
    );
}

#[test]
fn insert_json_and_options() {
    let i = insert("INSERT INTO t JSON '{\"k\": 1}' DEFAULT UNSET IF NOT EXISTS USING TTL 86400 AND TIMESTAMP ?");
    assert_eq!(
        i.values,
        InsertValues::Json {
            value: string("{\"k\": 1}"),
            default_unset: true
        }
    );
    assert!(i.if_not_exists);
    assert_eq!(
        i.using,
        UsingClause {
            ttl: Some(int("86400")),
            timestamp: Some(marker(0))
        }
    );
    let i = insert("INSERT INTO t JSON ? DEFAULT NULL");
    assert_eq!(
        i.values,
        InsertValues::Json {
            value: marker(0),
            default_unset: false
        }
    );
    assert!(!i.if_not_exists);
}

#[test]
fn insert_with_markers_counts_and_orders_them() {
    let st = parse(
        "INSERT INTO ks.t (k, c1, c2, c3, c4, c5) VALUES (?, ?, :named, ?, ?, ?) USING TTL ?",
    );
    assert_eq!(st.bind_marker_count(), 7);
    let markers = st.bind_markers();
    assert!(markers.iter().enumerate().all(|(i, m)| m.index == i));
    assert_eq!(markers[2].name.as_deref(), Some("named"));
    assert_eq!(markers[0].name, None);
}

#[test]
fn update_assignments() {
    let u = update(
        "UPDATE ks.t USING TIMESTAMP 5 AND TTL 10 SET a = 1, c = c + 1, d = d - ?, l = [0] + l, \
         l2 = l2 + [9], m['k'] = 'v', u.f = 3, s += {'x'}, s2 -= {'y'}, l[2] = 7 \
         WHERE k = 0 IF a = 1 AND m['k'] != 'z' AND u.f IN (1, 2)",
    );
    assert_eq!(
        u.using,
        UsingClause {
            timestamp: Some(int("5")),
            ttl: Some(int("10"))
        }
    );
    use Assignment as A;
    assert_eq!(
        u.assignments,
        vec![
            A::Set {
                target: ColumnTarget::Column("a".into()),
                value: int("1")
            },
            A::Add {
                column: "c".into(),
                value: int("1")
            },
            A::Subtract {
                column: "d".into(),
                value: marker(0)
            },
            A::Prepend {
                column: "l".into(),
                value: Term::List(vec![int("0")])
            },
            A::Add {
                column: "l2".into(),
                value: Term::List(vec![int("9")])
            },
            A::Set {
                target: ColumnTarget::Element("m".into(), string("k")),
                value: string("v")
            },
            A::Set {
                target: ColumnTarget::Field("u".into(), "f".into()),
                value: int("3")
            },
            A::Add {
                column: "s".into(),
                value: Term::Set(vec![string("x")])
            },
            A::Subtract {
                column: "s2".into(),
                value: Term::Set(vec![string("y")])
            },
            A::Set {
                target: ColumnTarget::Element("l".into(), int("2")),
                value: int("7")
            },
        ]
    );
    assert_eq!(
        u.conditions,
        Some(Conditions::If(vec![
            Condition::Compare {
                target: ColumnTarget::Column("a".into()),
                op: Operator::Eq,
                value: int("1")
            },
            Condition::Compare {
                target: ColumnTarget::Element("m".into(), string("k")),
                op: Operator::Neq,
                value: string("z"),
            },
            Condition::In {
                target: ColumnTarget::Field("u".into(), "f".into()),
                values: InValues::List(vec![int("1"), int("2")]),
            },
        ]))
    );
}

#[test]
fn update_counter_and_if_exists() {
    let u = update("UPDATE c SET hits = hits + 1, misses = misses - 2 WHERE k = 'a' IF EXISTS");
    assert_eq!(u.conditions, Some(Conditions::Exists));
    assert_eq!(
        u.assignments[1],
        Assignment::Subtract {
            column: "misses".into(),
            value: int("2")
        }
    );
    // Arithmetic on the right side of a plain assignment stays a term.
    let u = update("UPDATE t SET a = 1 + 2 WHERE k = 0");
    assert!(matches!(
        &u.assignments[0],
        Assignment::Set {
            value: Term::Arithmetic { .. },
            ..
        }
    ));
    // `*` binds tighter than `+` after the first operand too: (10 / 4) + 1.
    let u = update("UPDATE t SET a = 10 / 4 + 1, b = -(3 * 4) WHERE k = 0");
    let Assignment::Set {
        value: Term::Arithmetic { op, left, .. },
        ..
    } = &u.assignments[0]
    else {
        panic!("{:?}", u.assignments[0]);
    };
    assert_eq!(*op, ArithmeticOp::Add);
    assert!(matches!(
        **left,
        Term::Arithmetic {
            op: ArithmeticOp::Div,
            ..
        }
    ));
    assert!(matches!(
        &u.assignments[1],
        Assignment::Set {
            value: Term::Negation(_),
            ..
        }
    ));
}

#[test]
fn update_with_a_different_column_is_refused() {
    let e = parse_statement("UPDATE t SET a = b + 1 WHERE k = 0").expect_err("X = Y + 1");
    assert!(
        e.message
            .contains("Only expressions of the form X = X + <value> are supported."),
        "{e}"
    );
}

#[test]
fn delete_forms() {
    let d = delete("DELETE FROM t USING TIMESTAMP 123 WHERE k = 1 IF EXISTS");
    assert!(d.targets.is_empty());
    assert_eq!(d.timestamp, Some(int("123")));
    assert_eq!(d.conditions, Some(Conditions::Exists));
    let d = delete("DELETE a, m['k'], u.f, l[0] FROM ks.t WHERE k = ? AND c > ? IF a > 3");
    assert_eq!(
        d.targets,
        vec![
            ColumnTarget::Column("a".into()),
            ColumnTarget::Element("m".into(), string("k")),
            ColumnTarget::Field("u".into(), "f".into()),
            ColumnTarget::Element("l".into(), int("0")),
        ]
    );
    assert_eq!(d.where_clause.len(), 2);
    assert!(
        parse_statement("DELETE FROM t USING TTL 5 WHERE k = 1").is_err(),
        "DELETE takes no TTL"
    );
}

#[test]
fn batches() {
    let st = parse(
        "BEGIN UNLOGGED BATCH USING TIMESTAMP 99\n\
           INSERT INTO t (k, v) VALUES (?, ?);\n\
           UPDATE t SET v = ? WHERE k = ?;\n\
           DELETE v FROM t WHERE k = :k\n\
         APPLY BATCH;",
    );
    assert_eq!(st.bind_marker_count(), 5);
    assert_eq!(st.bind_markers()[4].name.as_deref(), Some("k"));
    let Statement::Batch(b) = st else {
        panic!("batch")
    };
    assert_eq!(b.kind, BatchKind::Unlogged);
    assert_eq!(b.using.timestamp, Some(int("99")));
    assert_eq!(b.statements.len(), 3);
    assert!(matches!(b.statements[2], BatchStatement::Delete(_)));
    let Statement::Batch(b) =
        parse("BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; APPLY BATCH")
    else {
        panic!("batch")
    };
    assert_eq!(b.kind, BatchKind::Counter);
    let Statement::Batch(b) = parse("BEGIN BATCH APPLY BATCH") else {
        panic!("batch")
    };
    assert_eq!((b.kind, b.statements.len()), (BatchKind::Logged, 0));
}

#[test]
fn select_markers_in_limit_and_where() {
    let st = parse("SELECT * FROM t WHERE k = ? AND c IN (?, ?) LIMIT ?");
    assert_eq!(st.bind_marker_count(), 4);
    let Statement::Select(s) = st else {
        panic!("select")
    };
    assert_eq!(s.limit, Some(marker(3)));
}

#[test]
fn vector_search_order() {
    let s = select("SELECT * FROM t ORDER BY v ANN OF [1.0, 2.5] LIMIT 5");
    let f = LiteralKind::Float;
    assert_eq!(
        s.ann_of,
        Some((
            "v".to_string(),
            Term::List(vec![lit(f, "1.0"), lit(f, "2.5")])
        ))
    );
    assert!(s.order_by.is_empty());
}

#[test]
fn comments_and_multiline_statements() {
    let s = select(
        "-- leading comment\nSELECT a, /* inline */ b\n  FROM t // trailing\n  WHERE k = 1;  -- done",
    );
    assert_eq!(s.where_clause, vec![simple("k", Operator::Eq, int("1"))]);
}

#[test]
fn use_and_truncate() {
    assert_eq!(parse("USE \"MyKs\""), Statement::Use("MyKs".into()));
    assert_eq!(parse("use myks;"), Statement::Use("myks".into()));
    assert_eq!(
        parse("TRUNCATE TABLE ks.t"),
        Statement::Truncate(qn(Some("ks"), "t"))
    );
    assert_eq!(parse("TRUNCATE t"), Statement::Truncate(qn(None, "t")));
}

#[test]
fn scripts_split_on_semicolons() {
    let v = parse_statements("USE ks; ;SELECT * FROM t WHERE k = ?;\nINSERT INTO t (k) VALUES (?)")
        .expect("script");
    assert_eq!(v.len(), 3);
    // Markers are numbered per statement.
    assert_eq!(v[2].bind_markers()[0].index, 0);
    assert_eq!(parse_statements("  -- nothing\n").expect("empty"), vec![]);
}

#[test]
fn not_in_relation() {
    let s = select("SELECT * FROM t WHERE a NOT IN (1, 2) AND b NOT IN ? ALLOW FILTERING");
    assert!(matches!(
        &s.where_clause[0],
        Relation::NotIn { column, values: InValues::List(v) } if column == "a" && v.len() == 2
    ));
    assert!(matches!(
        &s.where_clause[1],
        Relation::NotIn {
            values: InValues::Marker(_),
            ..
        }
    ));
}

#[test]
fn not_contains_relations() {
    let s =
        select("SELECT * FROM t WHERE s NOT CONTAINS 1 AND m NOT CONTAINS KEY 'k' ALLOW FILTERING");
    assert!(matches!(
        &s.where_clause[0],
        Relation::Simple { column, op: Operator::NotContains, .. } if column == "s"
    ));
    assert!(matches!(
        &s.where_clause[1],
        Relation::Simple { column, op: Operator::NotContainsKey, .. } if column == "m"
    ));
}

#[test]
fn tuple_selectors() {
    let s = select("SELECT (a, (b, 1)), (c) FROM t");
    let Selection::Selectors(sel) = &s.selection else {
        panic!("selectors expected");
    };
    assert!(
        matches!(&sel[0].expr, SelectorExpr::Tuple(items) if items.len() == 2
        && matches!(&items[1], SelectorExpr::Tuple(inner) if inner.len() == 2))
    );
    // A single parenthesised selector is that selector, not a tuple.
    assert!(matches!(&sel[1].expr, SelectorExpr::Column(c) if c == "c"));
}

#[test]
fn list_selectors() {
    let s = select("SELECT [a, 1], [1, 2], [] FROM t");
    let Selection::Selectors(sel) = &s.selection else {
        panic!("selectors expected");
    };
    assert!(matches!(&sel[0].expr, SelectorExpr::List(items) if items.len() == 2));
    // Constants only: a list term, as before.
    assert!(matches!(&sel[1].expr, SelectorExpr::Term(Term::List(v)) if v.len() == 2));
    assert!(matches!(&sel[2].expr, SelectorExpr::Term(Term::List(v)) if v.is_empty()));
}
