//! The `system.paxos` table: one replica's Paxos state per (partition, table), kept in
//! the storage engine so that it goes through the commit log and survives a restart.
//!
//! Layout, as Cassandra's `system.paxos` (`PRIMARY KEY ((row_key), cf_id)`): the
//! storage partition is the user partition (same token, same key bytes), the
//! clustering is the table id (16 bytes), and the columns are
//!
//! | id | column                 | value                                        |
//! |----|------------------------|----------------------------------------------|
//! | 0  | in_progress_ballot     | ballot (16 bytes, see [`Ballot::to_bytes`])    |
//! | 1  | proposal_ballot        | ballot                                       |
//! | 2  | proposal               | the update, a commit-log record, or empty     |
//! | 3  | most_recent_commit_at  | ballot                                       |
//! | 4  | most_recent_commit     | the update, a commit-log record, or empty     |
//!
//! Every cell is written at its ballot's time, so the storage engine's reconciliation
//! (highest timestamp wins) keeps the highest ballot even if writes race.

use bytes::Bytes;
use storage::commitlog::{encode_record, next_record, Next};
use storage::{
    Cell, CellValue, ClusteringBound, ColumnId, Engine, LivenessInfo, Mutation, ReadCommand, Row,
    TableId, TableOptions,
};

use super::{Ballot, Commit, PaxosError, PaxosKey};

/// The storage id of `system.paxos` (fixed: it is not part of the user schema).
pub const TABLE_ID: TableId = TableId(uuid::Uuid::from_u128(
    0xb7b7_f0c2_fd0a_34c0_bff8_e94c_6a8a_8a70,
));

const IN_PROGRESS: ColumnId = ColumnId(0);
const PROPOSAL_BALLOT: ColumnId = ColumnId(1);
const PROPOSAL: ColumnId = ColumnId(2);
const COMMIT_AT: ColumnId = ColumnId(3);
const COMMIT: ColumnId = ColumnId(4);

/// Storage options of `system.paxos`: Cassandra compacts it with leveled compaction;
/// the defaults are fine for a table of small, overwritten rows.
pub fn table_options() -> TableOptions {
    TableOptions::default()
}

/// One replica's state for one partition of one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub promised: Ballot,
    pub accepted: Option<Commit>,
    pub most_recent_commit: Option<Commit>,
}

/// Reads the state of `key` (defaults when the replica never saw it).
pub fn load(engine: &Engine, key: &PaxosKey, now_seconds: i32) -> Result<State, PaxosError> {
    let ck = Bytes::copy_from_slice(key.table.0.as_bytes());
    let cmd = ReadCommand {
        table: TABLE_ID,
        token: key.token,
        key: key.key.clone(),
        slices: vec![(
            ClusteringBound::Inclusive(ck.clone()),
            ClusteringBound::Inclusive(ck),
        )],
        reversed: false,
        row_limit: Some(1),
        resume_after: None,
        now_seconds,
    };
    let Some(row) = engine.read(&cmd)?.and_then(|p| p.rows.into_iter().next()) else {
        return Ok(State::default());
    };
    let cell = |id: ColumnId| {
        row.cells
            .iter()
            .find_map(|c| match (&c.value, c.column == id) {
                (CellValue::Live { value, .. }, true) => Some(value.clone()),
                _ => None,
            })
    };
    let ballot = |id: ColumnId| -> Result<Option<Ballot>, PaxosError> {
        cell(id)
            .map(|b| Ballot::from_bytes(&b).ok_or_else(|| PaxosError::Corrupt("ballot".into())))
            .transpose()
    };
    let commit = |at: ColumnId, upd: ColumnId| -> Result<Option<Commit>, PaxosError> {
        let Some(ballot) = ballot(at)? else {
            return Ok(None);
        };
        let update = cell(upd).map(|b| decode_update(&b)).transpose()?.flatten();
        Ok(Some(Commit { ballot, update }))
    };
    Ok(State {
        promised: ballot(IN_PROGRESS)?.unwrap_or_default(),
        accepted: commit(PROPOSAL_BALLOT, PROPOSAL)?,
        most_recent_commit: commit(COMMIT_AT, COMMIT)?,
    })
}

/// Records a promise of `ballot`.
pub fn save_promise(engine: &Engine, key: &PaxosKey, ballot: Ballot) -> Result<(), PaxosError> {
    write(engine, key, ballot, vec![ballot_cell(IN_PROGRESS, ballot)])
}

/// Records an accepted proposal (which is also a promise of its ballot).
pub fn save_proposal(engine: &Engine, key: &PaxosKey, p: &Commit) -> Result<(), PaxosError> {
    let cells = vec![
        ballot_cell(IN_PROGRESS, p.ballot),
        ballot_cell(PROPOSAL_BALLOT, p.ballot),
        live(PROPOSAL, p.ballot, encode_update(p.update.as_ref())),
    ];
    write(engine, key, p.ballot, cells)
}

/// Records a commit as the most recent one.
pub fn save_commit(engine: &Engine, key: &PaxosKey, c: &Commit) -> Result<(), PaxosError> {
    let cells = vec![
        ballot_cell(COMMIT_AT, c.ballot),
        live(COMMIT, c.ballot, encode_update(c.update.as_ref())),
    ];
    write(engine, key, c.ballot, cells)
}

fn write(
    engine: &Engine,
    key: &PaxosKey,
    ballot: Ballot,
    mut cells: Vec<Cell>,
) -> Result<(), PaxosError> {
    cells.sort_by_key(|c| c.column);
    let m = Mutation {
        table: TABLE_ID,
        token: key.token,
        key: key.key.clone(),
        rows: vec![Row {
            clustering: Bytes::copy_from_slice(key.table.0.as_bytes()),
            liveness: Some(LivenessInfo {
                timestamp: ballot.micros,
                ttl: None,
            }),
            cells,
            ..Row::default()
        }],
        ..Mutation::default()
    };
    engine.apply(&m)?;
    Ok(())
}

fn ballot_cell(column: ColumnId, b: Ballot) -> Cell {
    live(column, b, Bytes::copy_from_slice(&b.to_bytes()))
}

fn live(column: ColumnId, b: Ballot, value: Bytes) -> Cell {
    Cell {
        column,
        path: None,
        timestamp: b.micros,
        value: CellValue::Live { value, ttl: None },
    }
}

/// An update as a CRC-checked commit-log record; empty for "no update".
fn encode_update(m: Option<&Mutation>) -> Bytes {
    let mut out = Vec::new();
    if let Some(m) = m {
        encode_record(&mut out, m);
    }
    Bytes::from(out)
}

fn decode_update(b: &[u8]) -> Result<Option<Mutation>, PaxosError> {
    if b.is_empty() {
        return Ok(None);
    }
    match next_record(b, 0) {
        Next::Record(m, end) if end == b.len() => Ok(Some(*m)),
        Next::Record(..) => Err(PaxosError::Corrupt("trailing bytes after proposal".into())),
        Next::End => Err(PaxosError::Corrupt("empty proposal record".into())),
        Next::Bad(why) => Err(PaxosError::Corrupt(why.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_round_trips_and_empty_means_none() {
        let m = Mutation {
            table: TableId(uuid::Uuid::from_u128(5)),
            token: 9,
            key: Bytes::from_static(b"k"),
            ..Mutation::default()
        };
        assert_eq!(decode_update(&encode_update(Some(&m))).unwrap(), Some(m));
        assert_eq!(decode_update(&encode_update(None)).unwrap(), None);
        assert!(decode_update(b"garbage!garbage!").is_err());
    }
}
