//! Commit-log replay at start-up. A torn or garbage tail of the last segment
//! is expected after a crash: replay stops there and logs it. Damage anywhere
//! else means lost acknowledged writes, so it is an error naming the file and
//! offset (the node refuses to start) unless the operator opted to ignore it.
use std::path::{Path, PathBuf};

use super::record::{next_record, parse_header, Next, HEADER_LEN};
use super::{list_segments, Position};
use crate::error::{Error, Result};
use crate::types::Mutation;

/// What replay found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReplayStats {
    /// Segment files read (to delete once their data is flushed).
    pub segments: Vec<PathBuf>,
    /// Records handed to the callback.
    pub records: u64,
    /// Highest segment id seen (the writer starts after it).
    pub max_segment: u64,
    /// True if the last segment ended in a torn record.
    pub torn_tail: bool,
}

/// Calls `apply(end_position, mutation)` for every record of every segment
/// in `dir`, in log order.
pub fn replay(
    dir: &Path,
    ignore_errors: bool,
    mut apply: impl FnMut(Position, Mutation) -> Result<()>,
) -> Result<ReplayStats> {
    let segments = list_segments(dir)?;
    let mut stats = ReplayStats::default();
    let count = segments.len();
    for (i, (id, path)) in segments.into_iter().enumerate() {
        let last = i + 1 == count;
        stats.max_segment = stats.max_segment.max(id);
        stats.segments.push(path.clone());
        let buf =
            std::fs::read(&path).map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        let problem = |offset: u64, reason: &str, stats: &mut ReplayStats| -> Result<()> {
            if last {
                tracing::warn!(path = %path.display(), offset, reason, "commit log ends in a torn record; replayed the prefix");
                stats.torn_tail = true;
                Ok(())
            } else if ignore_errors {
                tracing::error!(path = %path.display(), offset, reason, "corrupt commit-log record; rest of segment skipped (commitlog_ignore_replay_errors)");
                Ok(())
            } else {
                Err(Error::corrupt(
                    &path,
                    offset,
                    format!("commit log: {reason}"),
                ))
            }
        };
        match parse_header(&buf) {
            Ok(h) if h == id => {}
            Ok(_) => {
                problem(
                    0,
                    "segment id in header does not match file name",
                    &mut stats,
                )?;
                continue;
            }
            Err(reason) => {
                if buf.iter().all(|b| *b == 0) {
                    continue; // created but never written
                }
                problem(0, reason, &mut stats)?;
                continue;
            }
        }
        let mut pos = HEADER_LEN as usize;
        loop {
            match next_record(&buf, pos) {
                Next::Record(m, end) => {
                    stats.records += 1;
                    apply(
                        Position {
                            segment: id,
                            offset: end as u64,
                        },
                        *m,
                    )?;
                    pos = end;
                }
                Next::End => break,
                Next::Bad(reason) => {
                    problem(pos as u64, reason, &mut stats)?;
                    break;
                }
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitlog::{segment_path, CommitLog};
    use crate::config::SyncMode;
    use crate::types::TableId;
    use bytes::Bytes;

    fn m(token: i64) -> Mutation {
        Mutation {
            table: TableId(uuid::Uuid::from_u128(1)),
            token,
            key: Bytes::from(vec![7u8; 100]),
            ..Mutation::default()
        }
    }

    fn write(dir: &Path, n: i64, segment_size: u64) {
        let log = CommitLog::open(dir, segment_size, SyncMode::Batch, 1).expect("open");
        for t in 0..n {
            let pos = log.append(&m(t)).expect("append");
            log.wait_durable(pos).expect("sync");
        }
        log.shutdown().expect("shutdown");
    }

    fn tokens(dir: &Path, ignore: bool) -> Result<(Vec<i64>, ReplayStats)> {
        let mut seen = Vec::new();
        let stats = replay(dir, ignore, |_, m| {
            seen.push(m.token);
            Ok(())
        })?;
        Ok((seen, stats))
    }

    #[test]
    fn round_trip_across_segments() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 3000, 64 << 10);
        let (seen, stats) = tokens(dir.path(), false).expect("replay");
        assert_eq!(seen, (0..3000).collect::<Vec<_>>());
        assert!(stats.segments.len() > 1, "rolled into several segments");
        assert!(!stats.torn_tail);
    }

    #[test]
    fn torn_tail_of_last_segment_replays_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 10, 1 << 20);
        let path = segment_path(dir.path(), 1);
        let len = std::fs::metadata(&path).expect("meta").len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_len(len - 30).expect("truncate");
        let (seen, stats) = tokens(dir.path(), false).expect("torn tail is not an error");
        assert_eq!(seen, (0..9).collect::<Vec<_>>());
        assert!(stats.torn_tail);
    }

    #[test]
    fn corruption_in_non_last_segment_names_file_and_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 3000, 64 << 10);
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[500] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let err = tokens(dir.path(), false).expect_err("mid-log corruption refuses");
        match &err {
            Error::Corrupt {
                path: p, offset, ..
            } => {
                assert_eq!(p, &path);
                assert!(*offset <= 500);
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("CommitLog-1-"));
        let (seen, _) = tokens(dir.path(), true).expect("ignored with the option");
        assert!(seen.len() < 3000 && !seen.is_empty());
    }
}
