//! Commit-log replay at start-up. A torn or garbage tail of the last segment
//! is expected after a crash: replay stops there and logs it. Damage anywhere
//! else means lost acknowledged writes, so it is an error naming the file and
//! offset (the node refuses to start) unless the operator opted to ignore it.
//!
//! "Tail" is checked, not assumed: a bad record of the last segment that is
//! followed by an intact record is damage in the middle of the log (a torn
//! write is always the last thing written), so it is treated like corruption
//! of an older segment. The one exception is a run of zero bytes: after a
//! power loss, unsynced pages may reach the disk out of order and leave a
//! hole, and nothing after an unsynced hole was acknowledged as durable.
use std::path::{Path, PathBuf};

use super::record::{next_record, parse_header, Next, HEADER_LEN, RECORD_HEADER_LEN};
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
    /// Damaged regions skipped because `ignore_errors` was set:
    /// (file, offset of the first bad byte).
    pub skipped: Vec<(PathBuf, u64)>,
}

/// Largest record the search for an intact record after damage considers.
/// Checksumming every plausible length at every offset of a random-garbage
/// tail costs O(n * len): with this cap a 32 MiB garbage tail is scanned in
/// about a second instead of hours. The price: damage followed only by
/// records larger than this is reported as a torn tail.
const SCAN_MAX_RECORD: usize = 1 << 20;

/// Offset of the first intact record after `from`, if any. Used to tell a
/// torn tail (nothing valid follows) from damage in the middle. Candidate
/// offsets whose 8 header bytes are zero, or whose length field is out of
/// range, are skipped without checksumming.
fn next_intact_record(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from + 1;
    while let Some(h) = buf.get(at..at + RECORD_HEADER_LEN) {
        let mut len = [0u8; 4];
        len.copy_from_slice(h.get(..4).unwrap_or(&[0; 4]));
        let len = u32::from_le_bytes(len) as usize;
        let plausible = !h.iter().all(|b| *b == 0)
            && len <= SCAN_MAX_RECORD
            && at + RECORD_HEADER_LEN + len <= buf.len();
        if plausible && matches!(next_record(buf, at), Next::Record(..)) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// True if the bytes from `pos` up to `end` are all zero (a hole).
fn is_zero_run(buf: &[u8], pos: usize, end: usize) -> bool {
    buf.get(pos..end).is_some_and(|b| b.iter().all(|x| *x == 0))
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
        // `tail`: nothing intact follows the damage in the last segment.
        let problem = |offset: u64,
                       reason: &str,
                       tail: bool,
                       stats: &mut ReplayStats|
         -> Result<()> {
            if last && tail {
                tracing::warn!(path = %path.display(), offset, reason, "commit log ends in a torn record; replayed the prefix");
                stats.torn_tail = true;
                Ok(())
            } else if ignore_errors {
                tracing::error!(path = %path.display(), offset, reason, "corrupt commit-log record skipped (commitlog_ignore_replay_errors)");
                stats.skipped.push((path.clone(), offset));
                Ok(())
            } else {
                Err(Error::corrupt(
                        &path,
                        offset,
                        format!(
                            "commit log: {reason} (set commitlog_ignore_replay_errors: true to skip it and start)"
                        ),
                    ))
            }
        };
        match parse_header(&buf) {
            Ok(h) if h == id => {}
            Ok(_) => {
                problem(
                    0,
                    "segment id in header does not match file name",
                    false,
                    &mut stats,
                )?;
                continue;
            }
            Err(reason) => {
                if buf.iter().all(|b| *b == 0) {
                    continue; // created but never written
                }
                problem(0, reason, false, &mut stats)?;
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
                    let resume = next_intact_record(&buf, pos);
                    let tail = match resume {
                        None => true,
                        // A zero hole: pages written out of order, not damage.
                        Some(at) => is_zero_run(&buf, pos, at),
                    };
                    problem(pos as u64, reason, tail, &mut stats)?;
                    match resume {
                        // Only reached with ignore_errors: resync and go on.
                        Some(at) if !(last && tail) => pos = at,
                        _ => break,
                    }
                }
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitlog::test_mutation as m;
    use crate::commitlog::{segment_path, CommitLog};
    use crate::config::SyncMode;

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

    /// Offset of record `n` (0-based) of a single-segment log.
    fn record_offset(dir: &Path, n: usize) -> usize {
        let buf = std::fs::read(segment_path(dir, 1)).expect("read");
        let mut pos = HEADER_LEN as usize;
        for _ in 0..n {
            match next_record(&buf, pos) {
                Next::Record(_, end) => pos = end,
                other => panic!("record expected, got {other:?}"),
            }
        }
        pos
    }

    #[test]
    fn flip_in_middle_of_last_segment_is_corruption_not_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 10, 1 << 20);
        let path = segment_path(dir.path(), 1);
        let at = record_offset(dir.path(), 4);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[at + 12] ^= 0x01;
        std::fs::write(&path, &bytes).expect("write");
        let err = tokens(dir.path(), false).expect_err("intact records follow the damage");
        match &err {
            Error::Corrupt {
                path: p, offset, ..
            } => {
                assert_eq!(p, &path);
                assert_eq!(*offset, at as u64);
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("commitlog_ignore_replay_errors"));
        // With the option, only the damaged record is lost: replay resyncs.
        let (seen, stats) = tokens(dir.path(), true).expect("ignored with the option");
        assert_eq!(seen, vec![0, 1, 2, 3, 5, 6, 7, 8, 9]);
        assert_eq!(stats.skipped, vec![(path, at as u64)]);
        assert!(!stats.torn_tail);
    }

    #[test]
    fn zero_hole_before_the_end_of_last_segment_is_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 10, 1 << 20);
        let path = segment_path(dir.path(), 1);
        let from = record_offset(dir.path(), 7);
        let to = record_offset(dir.path(), 8);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[from..to].fill(0);
        std::fs::write(&path, &bytes).expect("write");
        let (seen, stats) = tokens(dir.path(), false).expect("a hole is not corruption");
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert!(stats.torn_tail);
    }

    #[test]
    fn megabytes_of_random_garbage_after_the_last_record_are_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 10, 1 << 20);
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).expect("read");
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..(4 << 20) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        std::fs::write(&path, &bytes).expect("write");
        let (seen, stats) = tokens(dir.path(), false).expect("torn tail");
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert!(stats.torn_tail);
    }

    #[test]
    fn garbage_tail_of_last_segment_is_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), 10, 1 << 20);
        let path = segment_path(dir.path(), 1);
        let at = record_offset(dir.path(), 9);
        let mut bytes = std::fs::read(&path).expect("read");
        for b in &mut bytes[at + 3..] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        std::fs::write(&path, &bytes).expect("write");
        let (seen, stats) = tokens(dir.path(), false).expect("torn tail");
        assert_eq!(seen, (0..9).collect::<Vec<_>>());
        assert!(stats.torn_tail);
    }
}
