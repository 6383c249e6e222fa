//! The replica state machine and the proposer on a real storage engine.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use storage::{Cell, CellValue, ColumnId, Engine, Mutation, ReadCommand, Row, TableId};

use super::*;
use crate::exec::Clock;

const USER: TableId = TableId(uuid::Uuid::from_u128(42));

fn open(dir: &std::path::Path) -> Arc<Engine> {
    let cfg = storage::Config::for_tests(dir);
    Engine::open(
        cfg,
        &[
            (TABLE_ID, table_options()),
            (USER, storage::TableOptions::default()),
        ],
    )
    .expect("open engine")
}

fn key() -> PaxosKey {
    PaxosKey {
        table: USER,
        token: 7,
        key: Bytes::from_static(b"pk"),
    }
}

fn ballot(micros: i64) -> Ballot {
    Ballot { micros, node: 1 }
}

/// A one-cell update of the user partition, written at `ts`.
fn update(ts: i64, v: &'static [u8]) -> Mutation {
    Mutation {
        table: USER,
        token: 7,
        key: Bytes::from_static(b"pk"),
        rows: vec![Row {
            cells: vec![Cell {
                column: ColumnId(1),
                path: None,
                timestamp: ts,
                value: CellValue::Live {
                    value: Bytes::from_static(v),
                    ttl: None,
                },
            }],
            ..Row::default()
        }],
        ..Mutation::default()
    }
}

fn stored(engine: &Engine) -> Option<Bytes> {
    let cmd = ReadCommand::whole(USER, 7, Bytes::from_static(b"pk"), 1_700_000_000);
    let p = engine.read(&cmd).expect("read")?;
    p.rows.first().and_then(|r| match &r.cells.first()?.value {
        CellValue::Live { value, .. } => Some(value.clone()),
        _ => None,
    })
}

#[test]
fn promises_and_proposals_follow_ballot_order_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let r = LocalReplica::new(engine.clone());
    let k = key();
    assert!(r.prepare(&k, ballot(100)).unwrap().promised);
    // A lower (or equal) ballot is refused and told the promised one.
    let p = r.prepare(&k, ballot(50)).unwrap();
    assert!(!p.promised);
    assert_eq!(p.in_progress_ballot, ballot(100));
    let low = Commit {
        ballot: ballot(60),
        update: None,
    };
    assert!(!r.propose(&k, &low).unwrap());
    let ok = Commit {
        ballot: ballot(100),
        update: Some(update(100, b"v1")),
    };
    assert!(r.propose(&k, &ok).unwrap());
    engine.shutdown().unwrap();
    drop(r);
    drop(engine);

    // After a restart the promise and the accepted proposal are still there.
    let engine = open(dir.path());
    let r = LocalReplica::new(engine.clone());
    assert!(!r.prepare(&k, ballot(99)).unwrap().promised);
    let p = r.prepare(&k, ballot(200)).unwrap();
    assert!(p.promised);
    assert_eq!(p.accepted, Some(ok));
    assert_eq!(p.most_recent_commit, None);
    engine.shutdown().unwrap();
}

#[test]
fn a_new_round_first_commits_the_proposal_a_dead_coordinator_left_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let replica: Arc<dyn PaxosReplica> = Arc::new(LocalReplica::new(engine.clone()));
    let k = key();
    // A coordinator prepared and got its proposal accepted, then died before COMMIT.
    let clock = Clock::default();
    let t0 = clock.next_micros();
    assert!(replica.prepare(&k, ballot(t0)).unwrap().promised);
    let orphan = Commit {
        ballot: ballot(t0),
        update: Some(update(t0, b"orphan")),
    };
    assert!(replica.propose(&k, &orphan).unwrap());
    assert_eq!(stored(&engine), None);

    let replicas = [replica];
    let proposer = Proposer {
        replicas: &replicas,
        clock: &clock,
        node: 2,
        timeout: Duration::from_secs(5),
    };
    // The next CAS sees the orphan's value when it decides.
    let seen = proposer
        .cas(&k, |_| Ok::<_, ()>((None, stored(&engine))))
        .unwrap()
        .unwrap();
    assert_eq!(seen.as_deref(), Some(&b"orphan"[..]));
    // A decided update is committed and becomes the most recent commit.
    let decided = proposer
        .cas(&k, |b| Ok::<_, ()>((Some(update(b.micros, b"next")), b)))
        .unwrap()
        .unwrap();
    assert_eq!(stored(&engine).as_deref(), Some(&b"next"[..]));
    let p = replicas[0]
        .prepare(&k, ballot(clock.next_micros()))
        .unwrap();
    let mrc = p.most_recent_commit.expect("most recent commit");
    assert_eq!(mrc.ballot, decided);
    assert_eq!(mrc.update, Some(update(decided.micros, b"next")));
    engine.shutdown().unwrap();
}
