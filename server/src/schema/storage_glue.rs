//! The schema's side of the storage engine: table options mapped to
//! `storage::TableOptions` (compaction class and options, bloom filter, gc grace), and
//! [`TableStore`] for `storage::Engine`, so DDL creates, alters and drops the table's
//! store in the same call.

use std::collections::BTreeMap;

use storage::{CompactionConfig, Engine, TableId, TableOptions, TimeWindowUnit};

use super::ddl::TableStore;
use super::error::SchemaError;
use super::model::TableDef;
use super::params::{LCS, STCS, TWCS};

fn num<T: std::str::FromStr>(
    m: &BTreeMap<String, String>,
    key: &str,
    default: T,
) -> Result<T, SchemaError> {
    match m.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            SchemaError::config(format!(
                "Invalid value {v} for compaction sub-option '{key}'"
            ))
        }),
    }
}

/// The storage engine's compaction settings for a validated `compaction` map.
pub fn compaction_config(m: &BTreeMap<String, String>) -> Result<CompactionConfig, SchemaError> {
    let class = m.get("class").map(String::as_str).unwrap_or(STCS);
    Ok(match class {
        STCS => CompactionConfig::SizeTiered {
            min_threshold: num(m, "min_threshold", 4)?,
            max_threshold: num(m, "max_threshold", 32)?,
            bucket_low: num(m, "bucket_low", 0.5)?,
            bucket_high: num(m, "bucket_high", 1.5)?,
            min_sstable_size: num(m, "min_sstable_size", 50u64 << 20)?,
        },
        LCS => CompactionConfig::Leveled {
            sstable_size_in_mb: num(m, "sstable_size_in_mb", 160)?,
            fanout_size: num(m, "fanout_size", 10)?,
        },
        TWCS => {
            let unit = m.get("compaction_window_unit").map(|u| u.to_ascii_uppercase());
            let window_unit = match unit.as_deref() {
                None | Some("DAYS") => TimeWindowUnit::Days,
                Some("HOURS") => TimeWindowUnit::Hours,
                Some("MINUTES") => TimeWindowUnit::Minutes,
                Some(other) => {
                    return Err(SchemaError::config(format!(
                        "{other} is not valid for compaction_window_unit"
                    )))
                }
            };
            let window_size: u32 = num(m, "compaction_window_size", 1)?;
            if window_size < 1 {
                return Err(SchemaError::config(format!(
                    "compaction_window_size must be greater than 1 (got {window_size})"
                )));
            }
            CompactionConfig::TimeWindow { window_unit, window_size }
        }
        other => {
            return Err(SchemaError::config(format!(
                "Compaction strategy {other} is not supported by this server (use SizeTieredCompactionStrategy, LeveledCompactionStrategy or TimeWindowCompactionStrategy)"
            )))
        }
    })
}

pub fn table_id(t: &TableDef) -> TableId {
    TableId(t.id)
}

/// The storage options for a table.
pub fn table_options(t: &TableDef) -> Result<TableOptions, SchemaError> {
    Ok(TableOptions {
        compaction: compaction_config(&t.params.compaction)?,
        bloom_filter_fp_chance: t.params.bloom_filter_fp_chance,
        gc_grace_seconds: u32::try_from(t.params.gc_grace_seconds).unwrap_or(0),
    })
}

fn storage_err(e: storage::Error) -> SchemaError {
    SchemaError::Storage(e.to_string())
}

impl TableStore for Engine {
    fn create_table(&self, table: &TableDef) -> Result<(), SchemaError> {
        Engine::create_table(self, table_id(table), table_options(table)?).map_err(storage_err)
    }

    fn alter_table(&self, table: &TableDef) -> Result<(), SchemaError> {
        Engine::alter_table(self, table_id(table), table_options(table)?).map_err(storage_err)?;
        // CREATE INDEX alters its base table: the index's hidden table is created
        // here, and follows the base's storage options from then on.
        let existing = self.table_ids();
        for hidden in table.indexes.iter().filter_map(|i| i.storage_table(table)) {
            let opts = table_options(&hidden)?;
            if existing.contains(&table_id(&hidden)) {
                Engine::alter_table(self, table_id(&hidden), opts).map_err(storage_err)?;
            } else {
                Engine::create_table(self, table_id(&hidden), opts).map_err(storage_err)?;
            }
        }
        Ok(())
    }

    fn drop_table(&self, table: &TableDef) -> Result<(), SchemaError> {
        // DROP TABLE and DROP KEYSPACE take the table's index tables with it.
        for hidden in table.indexes.iter().filter_map(|i| i.storage_table(table)) {
            if let Err(e) = Engine::drop_table(self, table_id(&hidden)) {
                tracing::warn!(index = %hidden.name, error = %e, "dropping an index table failed");
            }
        }
        Engine::drop_table(self, table_id(table)).map_err(storage_err)
    }
}
