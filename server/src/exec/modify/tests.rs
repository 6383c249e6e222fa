//! Unit tests of modification plans: key encoding, deletions, messages.

use super::*;
use crate::error::RequestError;
use crate::exec::clock::Clock;
use crate::exec::term::{EvalCtx, Markers, Val};
use crate::exec::testutil::{int, kcv, parse};
use crate::exec::TableRef;
use crate::schema::Order;
use cql::parser::ast::Statement;
use cql::types::CqlType;
use storage::{CellValue, ClusteringBound, Mutation};

fn plan(t: TableRef, text: &str) -> Result<(ModifyPlan, Markers), RequestError> {
    let (st, mut m) = parse(text);
    let p = match &st {
        Statement::Insert(s) => compile_insert(t, s, &mut m)?,
        Statement::Update(s) => compile_update(t, s, &mut m)?,
        Statement::Delete(s) => compile_delete(t, s, &mut m)?,
        other => panic!("not a modification: {other:?}"),
    };
    Ok((p, m))
}

fn run(p: &ModifyPlan, vals: &[Val]) -> Vec<Mutation> {
    let ctx = EvalCtx { values: vals };
    let attrs = p.attrs(&ctx, 42).unwrap();
    let mut out = Vec::new();
    p.mutations(&ctx, &attrs, &Clock::default(), &mut out)
        .unwrap();
    out
}

#[test]
fn insert_encodes_key_token_and_clustering() {
    let (p, m) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (?, ?, 5)").unwrap();
    assert_eq!(
        m.specs
            .iter()
            .flatten()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["k", "c"]
    );
    let ms = run(&p, &[int(1), int(2)]);
    assert_eq!(ms.len(), 1);
    let mu = &ms[0];
    assert_eq!(&mu.key[..], &1i32.to_be_bytes());
    assert_eq!(
        mu.token,
        gossip::partitioner::murmur3_token(&1i32.to_be_bytes())
    );
    assert_eq!(mu.rows.len(), 1);
    let row = &mu.rows[0];
    let mut ck = Vec::new();
    cql::types::encode_key_component(&CqlType::Int, &2i32.to_be_bytes(), false, &mut ck).unwrap();
    assert_eq!(&row.clustering[..], &ck[..]);
    assert_eq!(row.liveness.map(|l| l.timestamp), Some(42));
    assert_eq!(row.cells.len(), 1);
    assert!(
        matches!(&row.cells[0].value, CellValue::Live { value, .. } if value[..] == 5i32.to_be_bytes())
    );
}

#[test]
fn desc_clustering_inverts_the_encoding() {
    let (asc, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c) VALUES (1, 2)").unwrap();
    let (desc, _) = plan(kcv(Order::Desc), "INSERT INTO t (k, c) VALUES (1, 2)").unwrap();
    let a = run(&asc, &[]).remove(0).rows.remove(0).clustering;
    let d = run(&desc, &[]).remove(0).rows.remove(0).clustering;
    assert_eq!(a.iter().map(|b| !b).collect::<Vec<u8>>(), d.to_vec());
}

#[test]
fn in_on_partition_key_writes_one_mutation_per_key() {
    let (p, _) = plan(
        kcv(Order::Asc),
        "UPDATE t SET v = 1 WHERE k IN (3, 1, 3) AND c = 0",
    )
    .unwrap();
    let ms = run(&p, &[]);
    let keys: Vec<Vec<u8>> = ms.iter().map(|m| m.key.to_vec()).collect();
    assert_eq!(
        keys,
        vec![1i32.to_be_bytes().to_vec(), 3i32.to_be_bytes().to_vec()]
    );
    assert!(ms
        .iter()
        .all(|m| m.rows.len() == 1 && m.rows[0].liveness.is_none()));
}

#[test]
fn static_update_needs_no_clustering_and_writes_the_static_row() {
    let (p, _) = plan(kcv(Order::Asc), "UPDATE t SET s = 3 WHERE k = 1").unwrap();
    let m = run(&p, &[]).remove(0);
    assert!(m.rows.is_empty());
    assert_eq!(m.static_row.map(|r| r.cells.len()), Some(1));
}

#[test]
fn delete_kinds_map_to_storage_deletions() {
    let t = kcv(Order::Asc);
    let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1").unwrap();
    assert!(run(&p, &[]).remove(0).partition_deletion.is_some());
    let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1 AND c = 2").unwrap();
    assert!(run(&p, &[]).remove(0).rows[0].deletion.is_some());
    let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1 AND c > 2").unwrap();
    let rt = &run(&p, &[]).remove(0).range_tombstones;
    assert_eq!(rt.len(), 1);
    assert!(matches!(rt[0].start, ClusteringBound::Exclusive(_)));
    assert!(matches!(rt[0].end, ClusteringBound::Top));
    let (p, _) = plan(t, "DELETE v FROM t WHERE k = 1 AND c = 2").unwrap();
    let m = run(&p, &[]).remove(0);
    assert!(matches!(
        m.rows[0].cells[0].value,
        CellValue::Tombstone { .. }
    ));
}

#[test]
fn cassandra_messages_for_bad_modifications() {
    let t = kcv(Order::Asc);
    let err = |text: &str| plan(t.clone(), text).map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        err("INSERT INTO t (c, v) VALUES (1, 1)"),
        "Some partition key parts are missing: k"
    );
    assert_eq!(
        err("UPDATE t SET v = 1 WHERE k = 1"),
        "Some clustering keys are missing: c"
    );
    assert_eq!(
        err("UPDATE t SET k = 1 WHERE k = 1 AND c = 1"),
        "PRIMARY KEY part k found in SET part"
    );
    assert_eq!(
        err("UPDATE t SET v = 1 WHERE k = 1 AND c = 1 AND v = 2"),
        "Non PRIMARY KEY columns found in where clause: v"
    );
    assert_eq!(
        err("INSERT INTO t (k, c, nope) VALUES (1, 1, 1)"),
        "Undefined column name nope"
    );
    assert_eq!(
        err("INSERT INTO t (k, c) VALUES ('a', 1)"),
        "Invalid STRING constant (a) for \"k\" of type int"
    );
    assert_eq!(
        err("UPDATE t SET v = v + 1 WHERE k = 1 AND c = 1"),
        "Invalid operation (v = v + ?) for non counter column v"
    );
}

#[test]
fn null_key_and_bad_ttl_are_rejected_per_execution() {
    let (p, _) = plan(
        kcv(Order::Asc),
        "INSERT INTO t (k, c) VALUES (?, 1) USING TTL ?",
    )
    .unwrap();
    let ctx_vals = [Val::Null, int(10)];
    let ctx = EvalCtx { values: &ctx_vals };
    let attrs = p.attrs(&ctx, 1).unwrap();
    let e = p
        .mutations(&ctx, &attrs, &Clock::default(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid null value in condition for column k"
    );
    let vals = [int(1), int(-1)];
    let e = p
        .attrs(&EvalCtx { values: &vals }, 1)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "A TTL must be greater or equal to 0, but was -1"
    );
}

#[test]
fn batch_merge_combines_rows_of_one_partition() {
    let (a, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (1, 1, 1)").unwrap();
    let (b, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (1, 2, 2)").unwrap();
    let (c, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (2, 1, 1)").unwrap();
    let mut all = run(&a, &[]);
    all.extend(run(&b, &[]));
    all.extend(run(&c, &[]));
    let merged = merge_mutations(all);
    assert_eq!(merged.len(), 2);
    assert_eq!(merged.iter().map(|m| m.rows.len()).sum::<usize>(), 3);
}
