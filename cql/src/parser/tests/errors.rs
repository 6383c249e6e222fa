//! Syntax errors: Cassandra's message shape, line:column, and no panics.

use super::*;
use proptest::prelude::*;

fn err(s: &str) -> String {
    match parse_statement(s) {
        Ok(st) => panic!("{s} parsed: {st:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mismatched_keyword() {
    assert_eq!(
        err("SELECT * FRO t"),
        "line 1:9 mismatched input 'FRO' expecting K_FROM (SELECT * [FRO]...)"
    );
}

#[test]
fn unknown_statement() {
    assert_eq!(
        err("SELEC * FROM t"),
        "line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)"
    );
}

#[test]
fn unterminated_string() {
    assert_eq!(
        err("INSERT INTO t (k) VALUES ('abc"),
        "line 1:30 mismatched character '<EOF>' expecting set null"
    );
}

#[test]
fn errors_on_later_lines_report_their_position() {
    let e = parse_statement("SELECT a\nFROM t\nWHERE k = = 1").expect_err("bad");
    assert_eq!((e.line, e.column), (3, 10));
    assert!(
        e.message.starts_with("no viable alternative at input '='"),
        "{e}"
    );
    assert!(e.message.ends_with("[=]...)"), "{e}");
}

#[test]
fn reserved_keyword_as_name_is_rejected() {
    let e = err("CREATE TABLE t (select int PRIMARY KEY)");
    assert!(
        e.starts_with("line 1:16 no viable alternative at input 'select'"),
        "{e}"
    );
}

#[test]
fn unexpected_end_of_input() {
    let e = err("SELECT * FROM");
    assert!(
        e.starts_with("line 1:13 no viable alternative at input '<EOF>'"),
        "{e}"
    );
    assert!(e.contains("[FROM]"), "{e}");
}

#[test]
fn trailing_garbage_is_rejected() {
    let e = err("SELECT * FROM t LIMIT 1 extra");
    assert!(
        e.starts_with("line 1:24 mismatched input 'extra' expecting EOF"),
        "{e}"
    );
}

#[test]
fn snippet_is_cut_to_ten_tokens_before() {
    let e = err("SELECT a, b, c, d, e, f FROM t WHERE k = 1 LIMT 5");
    assert!(e.contains("(...") && e.contains("[LIMT]...)"), "{e}");
}

#[test]
fn insert_column_value_count_mismatch() {
    assert!(err("INSERT INTO t (a, b) VALUES (1)").contains("Unmatched column names/values"));
}

#[test]
fn unterminated_comment() {
    assert!(err("SELECT * /* never closed").starts_with("line 1:24 mismatched character '<EOF>'"));
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = parse_statement(&s);
        let _ = parse_statements(&s);
    }

    #[test]
    fn cql_like_token_soup_never_panics(
        words in proptest::collection::vec(
            prop_oneof![
                Just("SELECT"), Just("FROM"), Just("WHERE"), Just("("), Just(")"), Just("?"),
                Just(","), Just("'x'"), Just("1"), Just("k"), Just("="), Just("["), Just("]"),
                Just("{"), Just("}"), Just(":"), Just("INSERT"), Just("INTO"), Just("VALUES"),
                Just("UPDATE"), Just("SET"), Just("+"), Just("-"), Just("IN"), Just("AND"),
                Just("CREATE"), Just("TABLE"), Just("PRIMARY"), Just("KEY"), Just("int"),
                Just("list"), Just("<"), Just(">"), Just("."), Just(".."), Just("BEGIN"),
                Just("BATCH"), Just("APPLY"), Just(";"), Just("IF"), Just("token"),
            ],
            0..40,
        )
    ) {
        let text = words.join(" ");
        let _ = parse_statement(&text);
    }

    #[test]
    fn markers_are_numbered_in_order(n in 1usize..20) {
        let cols: Vec<_> = (0..n).map(|i| format!("c{i}")).collect();
        let qs = vec!["?"; n].join(", ");
        let st = parse_statement(&format!("INSERT INTO t ({}) VALUES ({qs})", cols.join(", "))).expect("parses");
        let markers = st.bind_markers();
        prop_assert_eq!(markers.len(), n);
        prop_assert!(markers.iter().enumerate().all(|(i, m)| m.index == i));
    }
}

#[test]
fn bare_name_as_value_points_at_the_name() {
    let e = err("SELECT * FROM t WHERE k = abc AND c = 1");
    assert!(
        e.starts_with("line 1:26 no viable alternative at input 'abc'"),
        "{e}"
    );
}
