//! SELECT: slices, ordering, limits, aggregates, GROUP BY, paging, prepared SELECTs.

use bytes::Bytes;
use cql::request::{Execute, Prepare, Query, QueryParameters, Values};
use cql::response::ResultBody;
use cql::wire::Value;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_then_select_by_key_and_slices() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        .await;
    for c in 0..5 {
        e.ok(&format!(
            "INSERT INTO t (k, c, v) VALUES (1, {c}, {})",
            c * 10
        ))
        .await;
    }
    e.ok("INSERT INTO t (k, c, v) VALUES (2, 0, 100)").await;
    assert_eq!(
        e.ints("SELECT c, v FROM t WHERE k = 1 AND c = 3").await,
        vec![vec![Some(3), Some(30)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 AND c > 1 AND c <= 3")
            .await,
        vec![vec![Some(2)], vec![Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 ORDER BY c DESC LIMIT 2")
            .await,
        vec![vec![Some(4)], vec![Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 AND c IN (4, 0, 2)")
            .await,
        vec![vec![Some(0)], vec![Some(2)], vec![Some(4)]]
    );
    assert_eq!(
        e.ints("SELECT k, c FROM t WHERE k IN (2, 1) AND c = 0")
            .await,
        vec![vec![Some(1), Some(0)], vec![Some(2), Some(0)]]
    );
    assert_eq!(e.rows("SELECT * FROM t").await.len(), 6);
    assert_eq!(
        e.ints("SELECT count(*) FROM t WHERE k = 1").await,
        vec![vec![Some(5)]]
    );
    assert_eq!(
        e.ints("SELECT max(v), min(v), sum(v) FROM t WHERE k = 1")
            .await,
        vec![vec![Some(40), Some(0), Some(100)]]
    );
    assert_eq!(e.ints("SELECT DISTINCT k FROM t").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_resumes_exactly_for_partitions_and_scans() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))")
        .await;
    for k in 0..4 {
        for c in 0..5 {
            e.ok(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"))
                .await;
        }
    }
    for (text, expected) in [
        ("SELECT k, c FROM t WHERE k = 2", 5usize),
        ("SELECT k, c FROM t WHERE k IN (1, 2, 3)", 15),
        ("SELECT k, c FROM t", 20),
        ("SELECT k, c FROM t LIMIT 7", 7),
    ] {
        let mut all = Vec::new();
        let mut state: Option<Bytes> = None;
        let mut pages = 0;
        loop {
            let params = QueryParameters {
                page_size: Some(3),
                paging_state: state.clone(),
                ..Default::default()
            };
            let r =
                e.qp.query(
                    &mut e.st,
                    Query {
                        query: text.into(),
                        params,
                    },
                )
                .await
                .unwrap();
            let ResultBody::Rows(rows) = r else {
                panic!("rows")
            };
            assert!(rows.rows.len() <= 3);
            all.extend(rows.rows);
            pages += 1;
            state = rows.metadata.paging_state;
            if state.is_none() || pages > 20 {
                break;
            }
        }
        assert_eq!(all.len(), expected, "{text}");
        let mut dedup = all.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), expected, "{text}: duplicates across pages");
    }
    // A paging state of another query is refused, not misapplied.
    let params = QueryParameters {
        page_size: Some(3),
        ..Default::default()
    };
    let r =
        e.qp.query(
            &mut e.st,
            Query {
                query: "SELECT * FROM t".into(),
                params,
            },
        )
        .await
        .unwrap();
    let ResultBody::Rows(rows) = r else {
        panic!("rows")
    };
    let params = QueryParameters {
        page_size: Some(3),
        paging_state: rows.metadata.paging_state,
        ..Default::default()
    };
    assert!(e
        .qp
        .query(
            &mut e.st,
            Query {
                query: "SELECT c FROM t".into(),
                params
            }
        )
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_report_bind_metadata_and_execute() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))")
        .await;
    let r =
        e.qp.prepare(
            &mut e.st,
            Prepare {
                query: "INSERT INTO t (v, b, a, c) VALUES (?, ?, ?, ?) USING TTL ?".into(),
                keyspace: None,
            },
        )
        .await
        .unwrap();
    let ResultBody::Prepared(p) = r else {
        panic!("prepared")
    };
    let names: Vec<&str> = p.metadata.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["v", "b", "a", "c", "[ttl]"]);
    assert_eq!(p.metadata.pk_indexes, vec![2, 1]);
    let params = QueryParameters {
        values: Values::Positional(vec![int(9), int(2), int(1), int(3), int(0)]),
        ..Default::default()
    };
    e.qp.execute(
        &mut e.st,
        Execute {
            id: p.id.clone(),
            result_metadata_id: None,
            params,
        },
    )
    .await
    .unwrap();

    let r =
        e.qp.prepare(
            &mut e.st,
            Prepare {
                query: "SELECT v FROM t WHERE a = ? AND b = :bb AND c IN ? LIMIT ?".into(),
                keyspace: None,
            },
        )
        .await
        .unwrap();
    let ResultBody::Prepared(sel) = r else {
        panic!("prepared")
    };
    let names: Vec<&str> = sel
        .metadata
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, vec!["a", "bb", "in(c)", "[limit]"]);
    assert_eq!(sel.result_metadata.columns.len(), 1);
    let list = Value::Bytes(Bytes::from_static(b"\0\0\0\x01\0\0\0\x04\0\0\0\x03"));
    let params = QueryParameters {
        values: Values::Positional(vec![int(1), int(2), list, int(10)]),
        ..Default::default()
    };
    let r =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: sel.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rows_of(r),
        vec![vec![Some(Bytes::copy_from_slice(&9i32.to_be_bytes()))]]
    );

    // Wrong size, unknown id, null key.
    let params = QueryParameters {
        values: Values::Positional(vec![
            Value::Bytes(Bytes::from_static(&[0; 8])),
            int(2),
            int(1),
            int(3),
            int(0),
        ]),
        ..Default::default()
    };
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: p.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Expected 4 or 0 byte int (8)"),
        "{err}"
    );
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: Bytes::from_static(b"nope"),
                result_metadata_id: None,
                params: QueryParameters::default(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_error_body().code, cql::error::ErrorCode::Unprepared);
    let params = QueryParameters {
        values: Values::Positional(vec![int(9), int(2), Value::Null, int(3), int(0)]),
        ..Default::default()
    };
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: p.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid null value in condition for column a"
    );
    // Unset leaves the column untouched.
    let params = QueryParameters {
        values: Values::Positional(vec![Value::Unset, int(2), int(1), int(3), int(0)]),
        ..Default::default()
    };
    e.qp.execute(
        &mut e.st,
        Execute {
            id: p.id.clone(),
            result_metadata_id: None,
            params,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        e.ints("SELECT v FROM t WHERE a = 1 AND b = 2").await,
        vec![vec![Some(9)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_partition_and_clustering_prefix() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c1 int, c2 int, v int, PRIMARY KEY (k, c1, c2))")
        .await;
    for k in 0..3 {
        for c1 in 0..2 {
            for c2 in 0..3 {
                e.ok(&format!(
                    "INSERT INTO t (k, c1, c2, v) VALUES ({k}, {c1}, {c2}, {})",
                    c2 + 1
                ))
                .await;
            }
        }
    }
    let mut r = e.ints("SELECT k, count(*), sum(v) FROM t GROUP BY k").await;
    r.sort();
    assert_eq!(
        r,
        (0..3)
            .map(|k| vec![Some(k), Some(6), Some(12)])
            .collect::<Vec<_>>()
    );
    assert_eq!(
        e.ints("SELECT c1, max(v) FROM t WHERE k = 1 GROUP BY k, c1")
            .await,
        vec![vec![Some(0), Some(3)], vec![Some(1), Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT k, count(*) FROM t WHERE k = 1 GROUP BY k, c1 LIMIT 1")
            .await,
        vec![vec![Some(1), Some(3)]]
    );
    assert!(e
        .rows("SELECT k, count(*) FROM t WHERE k = 9 GROUP BY k")
        .await
        .is_empty());
    assert_eq!(
        e.err("SELECT count(*) FROM t GROUP BY c1").await,
        "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
    );
    assert_eq!(
        e.err("SELECT count(*) FROM t GROUP BY v").await,
        "Group by is currently only supported on the columns of the PRIMARY KEY, got v"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_partition_limit_holds_across_pages() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))")
        .await;
    for k in 0..3 {
        for c in 0..4 {
            e.ok(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"))
                .await;
        }
    }
    for text in [
        "SELECT k, c FROM t PER PARTITION LIMIT 2",
        "SELECT k, c FROM t WHERE k IN (0, 1, 2) PER PARTITION LIMIT 2",
    ] {
        let unpaged = e.ints(text).await;
        assert_eq!(unpaged.len(), 6, "{text}");
        let mut all = Vec::new();
        let mut state: Option<Bytes> = None;
        for _ in 0..20 {
            let params = QueryParameters {
                page_size: Some(1),
                paging_state: state.take(),
                ..Default::default()
            };
            let r =
                e.qp.query(
                    &mut e.st,
                    Query {
                        query: text.into(),
                        params,
                    },
                )
                .await
                .unwrap();
            let ResultBody::Rows(rows) = r else {
                panic!("rows")
            };
            all.extend(rows.rows);
            state = rows.metadata.paging_state;
            if state.is_none() {
                break;
            }
        }
        assert_eq!(all.len(), 6, "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_by_with_in_merges_partitions_and_refuses_paging() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))")
        .await;
    for (k, c) in [(1, 1), (1, 4), (2, 2), (2, 3)] {
        e.ok(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"))
            .await;
    }
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k IN (1, 2) ORDER BY c DESC LIMIT 3")
            .await,
        vec![vec![Some(4)], vec![Some(3)], vec![Some(2)]]
    );
    let params = QueryParameters {
        page_size: Some(10),
        ..Default::default()
    };
    let err =
        e.qp.query(
            &mut e.st,
            Query {
                query: "SELECT c FROM t WHERE k IN (1, 2) ORDER BY c DESC".into(),
                params,
            },
        )
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Cannot page queries with both ORDER BY and a IN restriction"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_columns_need_no_allow_filtering() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v int, w int)")
        .await;
    for k in 0..5 {
        e.ok(&format!(
            "INSERT INTO t (k, v, w) VALUES ({k}, {}, {k})",
            k % 2
        ))
        .await;
    }
    assert!(e
        .err("SELECT k FROM t WHERE v = 1")
        .await
        .starts_with("Cannot execute this query"));
    e.ok("CREATE INDEX ON t (v)").await;
    let mut r = e.ints("SELECT k FROM t WHERE v = 1").await;
    r.sort();
    assert_eq!(r, vec![vec![Some(1)], vec![Some(3)]]);
    assert!(e
        .err("SELECT k FROM t WHERE v = 1 AND w = 1")
        .await
        .starts_with("Cannot execute this query"));
    assert_eq!(
        e.ints("SELECT k FROM t WHERE v = 1 AND w = 3 ALLOW FILTERING")
            .await,
        vec![vec![Some(3)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn element_selectors_on_collections() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, m map<int, int>, l list<int>)")
        .await;
    e.ok("INSERT INTO t (k, m, l) VALUES (1, {1: 10, 2: 20}, [5, 6, 7])")
        .await;
    assert_eq!(
        e.ints("SELECT m[2], m[9] FROM t WHERE k = 1").await,
        vec![vec![Some(20), None]]
    );
    // Cassandra refuses element selection on lists.
    let err = e.err("SELECT l[1] FROM t WHERE k = 1").await;
    assert!(
        err.contains("Element selection is only allowed on sets and maps, but l is a list"),
        "{err}"
    );
}
