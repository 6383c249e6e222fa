//! `describe`: the Statistics component in human form (sstablemetadata's job).
use std::io::Write;

use storage::sstable::{Component, SstableReader};

use super::{hex, ToolError};

fn timestamp(micros: i64) -> String {
    if micros == i64::MAX || micros == i64::MIN {
        return "none".to_string();
    }
    format!("{micros} (µs since epoch)")
}

pub fn describe(r: &SstableReader, out: &mut dyn Write) -> Result<(), ToolError> {
    let s = r.stats();
    let data = r.path(Component::Data);
    writeln!(out, "SSTable: {}", data.display())?;
    writeln!(out, "Format version: {}", s.format_version)?;
    writeln!(out, "Partitions: {}", s.partition_count)?;
    writeln!(out, "Rows: {}", s.row_count)?;
    writeln!(out, "Cells: {}", s.cell_count)?;
    writeln!(out, "Tombstones: {}", s.tombstone_count)?;
    writeln!(out, "Minimum timestamp: {}", timestamp(s.min_timestamp))?;
    writeln!(out, "Maximum timestamp: {}", timestamp(s.max_timestamp))?;
    let ratio = if s.uncompressed_size > 0 {
        s.data_size as f64 / s.uncompressed_size as f64
    } else {
        1.0
    };
    writeln!(
        out,
        "Data size: {} bytes ({} uncompressed, compression ratio {ratio:.3})",
        s.data_size, s.uncompressed_size
    )?;
    writeln!(
        out,
        "First key: token {} key {}",
        s.first_token,
        hex(&s.first_key)
    )?;
    writeln!(
        out,
        "Last key: token {} key {}",
        s.last_token,
        hex(&s.last_key)
    )?;
    writeln!(out, "Minimum clustering: {}", hex(&s.min_clustering))?;
    writeln!(out, "Maximum clustering: {}", hex(&s.max_clustering))?;
    writeln!(out, "Level: {}", s.level)?;
    writeln!(
        out,
        "Commit log upper bound: segment {} offset {}",
        s.commitlog_upper.segment, s.commitlog_upper.offset
    )?;
    writeln!(out, "Ancestors: {:?}", s.ancestors)?;
    writeln!(out, "Created at: {} (s since epoch)", s.created_at)?;
    writeln!(out, "Tombstone drop times (bucket start s: count):")?;
    for (t, c) in &s.tombstone_histogram {
        writeln!(out, "  {t}: {c}")?;
    }
    Ok(())
}
