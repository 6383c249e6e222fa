//! Table options (`WITH ...`): their Cassandra 5.0 defaults, validation of what users
//! write, and the normalised values Cassandra echoes back in `system_schema.tables` and
//! DESCRIBE (full class names, `'99p'`, maps with string values).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::SchemaError;

/// The value of one `WITH name = value` property.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A constant: string, number or boolean, as text (strings unquoted).
    Simple(String),
    /// `{'k': 'v', ...}`; values that were numbers or booleans as their text.
    Map(Vec<(String, String)>),
}

/// One `WITH` property.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub value: PropertyValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableParams {
    pub additional_write_policy: String,
    pub allow_auto_snapshot: bool,
    pub bloom_filter_fp_chance: f64,
    pub caching: BTreeMap<String, String>,
    pub cdc: bool,
    pub comment: String,
    pub compaction: BTreeMap<String, String>,
    pub compression: BTreeMap<String, String>,
    pub crc_check_chance: f64,
    pub default_time_to_live: i32,
    pub extensions: BTreeMap<String, Vec<u8>>,
    pub gc_grace_seconds: i32,
    pub incremental_backups: bool,
    pub max_index_interval: i32,
    pub memtable: String,
    pub memtable_flush_period_in_ms: i32,
    pub min_index_interval: i32,
    pub read_repair: String,
    pub speculative_retry: String,
}

pub const STCS: &str = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy";
pub const LCS: &str = "org.apache.cassandra.db.compaction.LeveledCompactionStrategy";
pub const TWCS: &str = "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy";
pub const UCS: &str = "org.apache.cassandra.db.compaction.UnifiedCompactionStrategy";

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Default for TableParams {
    fn default() -> Self {
        TableParams {
            additional_write_policy: "99p".into(),
            allow_auto_snapshot: true,
            bloom_filter_fp_chance: 0.01,
            caching: map(&[("keys", "ALL"), ("rows_per_partition", "NONE")]),
            cdc: false,
            comment: String::new(),
            compaction: map(&[
                ("class", STCS),
                ("max_threshold", "32"),
                ("min_threshold", "4"),
            ]),
            compression: map(&[
                ("chunk_length_in_kb", "16"),
                ("class", "org.apache.cassandra.io.compress.LZ4Compressor"),
            ]),
            crc_check_chance: 1.0,
            default_time_to_live: 0,
            extensions: BTreeMap::new(),
            gc_grace_seconds: 864000,
            incremental_backups: true,
            max_index_interval: 2048,
            memtable: "default".into(),
            memtable_flush_period_in_ms: 0,
            min_index_interval: 128,
            read_repair: "BLOCKING".into(),
            speculative_retry: "99p".into(),
        }
    }
}

impl TableParams {
    /// Applies `props` on top of `self` (defaults for CREATE, the current values for
    /// ALTER). `is_view` refuses the options a view cannot have.
    pub fn apply(&mut self, props: &[Property], is_view: bool) -> Result<(), SchemaError> {
        let mut seen = std::collections::HashSet::new();
        for p in props {
            let name = p.name.to_ascii_lowercase();
            if !seen.insert(name.clone()) {
                return Err(SchemaError::Syntax(format!(
                    "Multiple definitions for property '{name}'"
                )));
            }
            match name.as_str() {
                "additional_write_policy" => {
                    self.additional_write_policy = speculative(&name, simple(p)?)?
                }
                "allow_auto_snapshot" => self.allow_auto_snapshot = boolean(&name, simple(p)?)?,
                "bloom_filter_fp_chance" => {
                    let v = double(&name, simple(p)?)?;
                    if v <= 0.0 || v > 1.0 {
                        return Err(SchemaError::config(format!(
                            "bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got {v})"
                        )));
                    }
                    self.bloom_filter_fp_chance = v;
                }
                "caching" => self.caching = caching(map_value(p)?)?,
                "cdc" => self.cdc = boolean(&name, simple(p)?)?,
                "comment" => self.comment = simple(p)?.to_string(),
                "compaction" => {
                    let m = compaction(map_value(p)?)?;
                    // The storage engine must be able to run it.
                    super::storage_glue::compaction_config(&m)?;
                    self.compaction = m;
                }
                "compression" => self.compression = compression(map_value(p)?)?,
                "crc_check_chance" => {
                    let v = double(&name, simple(p)?)?;
                    if !(0.0..=1.0).contains(&v) {
                        return Err(SchemaError::config(
                            "crc_check_chance should be between 0.0 and 1.0",
                        ));
                    }
                    self.crc_check_chance = v;
                }
                "default_time_to_live" => {
                    if is_view {
                        return Err(SchemaError::invalid(
                            "Cannot set default_time_to_live for a materialized view. Data in a materialized view always expire at the same time than the corresponding data in the parent table.",
                        ));
                    }
                    let v = int(&name, simple(p)?)?;
                    if v < 0 {
                        return Err(SchemaError::config(format!(
                            "default_time_to_live must be greater than or equal to 0 (got {v})"
                        )));
                    }
                    if v > 630_720_000 {
                        return Err(SchemaError::config(format!(
                            "default_time_to_live must be less than or equal to 630720000 (got {v})"
                        )));
                    }
                    self.default_time_to_live = v;
                }
                "extensions" => {
                    let mut out = BTreeMap::new();
                    for (k, v) in map_value(p)? {
                        out.insert(k.clone(), hex_blob(v)?);
                    }
                    self.extensions = out;
                }
                "gc_grace_seconds" => {
                    let v = int(&name, simple(p)?)?;
                    if v < 0 {
                        return Err(SchemaError::config(format!(
                            "gc_grace_seconds must be greater than or equal to 0 (got {v})"
                        )));
                    }
                    self.gc_grace_seconds = v;
                }
                "incremental_backups" => self.incremental_backups = boolean(&name, simple(p)?)?,
                "max_index_interval" => self.max_index_interval = int(&name, simple(p)?)?,
                "min_index_interval" => self.min_index_interval = int(&name, simple(p)?)?,
                "memtable" => {
                    // Only the default memtable configuration exists on this server.
                    let v = simple(p)?;
                    if v != "default" {
                        return Err(SchemaError::config(format!(
                            "Memtable configuration \"{v}\" not found."
                        )));
                    }
                    self.memtable = v.to_string();
                }
                "memtable_flush_period_in_ms" => {
                    self.memtable_flush_period_in_ms = int(&name, simple(p)?)?
                }
                "read_repair" => {
                    let v = simple(p)?.to_ascii_uppercase();
                    if v != "BLOCKING" && v != "NONE" {
                        return Err(SchemaError::config(format!(
                            "Invalid value {} for option 'read_repair'",
                            simple(p)?
                        )));
                    }
                    self.read_repair = v;
                }
                "speculative_retry" => self.speculative_retry = speculative(&name, simple(p)?)?,
                // Accepted and ignored, as Cassandra 4+ does, for old scripts.
                "read_repair_chance" | "dclocal_read_repair_chance" => {}
                _ => {
                    return Err(SchemaError::Syntax(format!(
                        "Unknown property '{}'",
                        p.name
                    )))
                }
            }
        }
        if self.min_index_interval < 1 {
            return Err(SchemaError::config(format!(
                "min_index_interval must be greater than or equal to 1 (got {})",
                self.min_index_interval
            )));
        }
        if self.max_index_interval < self.min_index_interval {
            return Err(SchemaError::config(format!(
                "max_index_interval must be greater than or equal to min_index_interval (got {} < {})",
                self.max_index_interval, self.min_index_interval
            )));
        }
        Ok(())
    }
}

/// An extension value: a blob constant (`0x0102`).
fn hex_blob(v: &str) -> Result<Vec<u8>, SchemaError> {
    let err = || SchemaError::config(format!("Invalid blob value {v} for table extensions"));
    let hex = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .ok_or_else(err)?;
    if hex.len() % 2 != 0 {
        return Err(err());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(err)
        })
        .collect()
}

fn simple(p: &Property) -> Result<&str, SchemaError> {
    match &p.value {
        PropertyValue::Simple(s) => Ok(s),
        PropertyValue::Map(_) => Err(SchemaError::Syntax(format!(
            "Invalid value for property '{}'. It should be a string",
            p.name
        ))),
    }
}

fn map_value(p: &Property) -> Result<&[(String, String)], SchemaError> {
    match &p.value {
        PropertyValue::Map(m) => Ok(m),
        PropertyValue::Simple(_) => Err(SchemaError::Syntax(format!(
            "Invalid value for property '{}'. It should be a map.",
            p.name
        ))),
    }
}

fn boolean(name: &str, v: &str) -> Result<bool, SchemaError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SchemaError::Syntax(format!(
            "Invalid boolean value {v} for '{name}'. Valid values are 'true' and 'false'."
        ))),
    }
}

fn double(name: &str, v: &str) -> Result<f64, SchemaError> {
    v.trim()
        .parse::<f64>()
        .map_err(|_| SchemaError::Syntax(format!("Invalid double value {v} for '{name}'")))
}

fn int(name: &str, v: &str) -> Result<i32, SchemaError> {
    v.trim()
        .parse::<i32>()
        .map_err(|_| SchemaError::Syntax(format!("Invalid integer value {v} for '{name}'")))
}

/// `99PERCENTILE`, `99p`, `25ms`, `ALWAYS`, `NEVER`, `MIN(99p,50ms)` in Cassandra's
/// canonical spelling.
pub fn speculative(option: &str, v: &str) -> Result<String, SchemaError> {
    let err = || SchemaError::config(format!("Invalid value {v} for option '{option}'"));
    let u = v.trim().to_ascii_uppercase();
    if u == "ALWAYS" || u == "NEVER" {
        return Ok(u);
    }
    if u == "NONE" {
        return Ok("NEVER".into());
    }
    for f in ["MIN(", "MAX("] {
        if let Some(rest) = u.strip_prefix(f).and_then(|r| r.strip_suffix(')')) {
            let (a, b) = rest.split_once(',').ok_or_else(err)?;
            let a = speculative(option, a)?;
            let b = speculative(option, b)?;
            return Ok(format!("{}{a},{b})", f));
        }
    }
    let number = |s: &str| -> Result<String, SchemaError> {
        let n: f64 = s.trim().parse().map_err(|_| err())?;
        if n < 0.0 {
            return Err(err());
        }
        Ok(if n.fract() == 0.0 {
            format!("{}", n as i64)
        } else {
            format!("{n}")
        })
    };
    if let Some(p) = u.strip_suffix("PERCENTILE").or_else(|| u.strip_suffix('P')) {
        let n: f64 = p.trim().parse().map_err(|_| err())?;
        if !(0.0..=100.0).contains(&n) {
            return Err(err());
        }
        return Ok(format!("{}p", number(p)?));
    }
    if let Some(ms) = u.strip_suffix("MS") {
        return Ok(format!("{}ms", number(ms)?));
    }
    Err(err())
}

fn caching(m: &[(String, String)]) -> Result<BTreeMap<String, String>, SchemaError> {
    let mut out = map(&[("keys", "ALL"), ("rows_per_partition", "NONE")]);
    for (k, v) in m {
        match k.as_str() {
            "keys" => {
                let u = v.to_ascii_uppercase();
                if u != "ALL" && u != "NONE" {
                    return Err(SchemaError::config(format!(
                        "Invalid value '{v}' for caching sub-option 'keys': only 'ALL' and 'NONE' are allowed"
                    )));
                }
                out.insert(k.clone(), u);
            }
            "rows_per_partition" => {
                let u = v.to_ascii_uppercase();
                if u != "ALL" && u != "NONE" && u.parse::<u32>().is_err() {
                    return Err(SchemaError::config(format!(
                        "Invalid value '{v}' for caching sub-option 'rows_per_partition': only 'ALL', 'NONE' or a positive integer are allowed"
                    )));
                }
                out.insert(k.clone(), u);
            }
            _ => {
                return Err(SchemaError::config(format!(
                    "Invalid caching sub-options [{k}]: only 'keys' and 'rows_per_partition' are allowed"
                )))
            }
        }
    }
    Ok(out)
}

/// The compaction class's full name, from a short or full name.
pub fn compaction_class(name: &str) -> Result<&'static str, SchemaError> {
    let short = name.rsplit('.').next().unwrap_or(name);
    let full = match short {
        "SizeTieredCompactionStrategy" => STCS,
        "LeveledCompactionStrategy" => LCS,
        "TimeWindowCompactionStrategy" => TWCS,
        "UnifiedCompactionStrategy" => UCS,
        _ => "",
    };
    if full.is_empty() || (name.contains('.') && name != full) {
        return Err(SchemaError::config(format!(
            "Unable to find compaction strategy class '{}'",
            if name.contains('.') {
                name.to_string()
            } else {
                format!("org.apache.cassandra.db.compaction.{name}")
            }
        )));
    }
    Ok(full)
}

const COMMON_COMPACTION: &[&str] = &[
    "enabled",
    "min_threshold",
    "max_threshold",
    "tombstone_threshold",
    "tombstone_compaction_interval",
    "unchecked_tombstone_compaction",
    "only_purge_repaired_tombstones",
    "log_all",
    "provide_overlapping_tombstones",
];

fn compaction(m: &[(String, String)]) -> Result<BTreeMap<String, String>, SchemaError> {
    let class = m
        .iter()
        .find(|(k, _)| k == "class")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| {
            SchemaError::config("Missing sub-option 'class' for the 'compaction' option.")
        })?;
    let class = compaction_class(class)?;
    let specific: &[&str] = match class {
        STCS => &["bucket_high", "bucket_low", "min_sstable_size"],
        LCS => &[
            "sstable_size_in_mb",
            "fanout_size",
            "single_sstable_uplevel",
        ],
        TWCS => &[
            "compaction_window_unit",
            "compaction_window_size",
            "timestamp_resolution",
            "expired_sstable_check_frequency_seconds",
            "unsafe_aggressive_sstable_expiration",
        ],
        _ => &[
            "scaling_parameters",
            "target_sstable_size",
            "base_shard_count",
        ],
    };
    let mut out = map(&[
        ("class", class),
        ("max_threshold", "32"),
        ("min_threshold", "4"),
    ]);
    let mut unknown = Vec::new();
    for (k, v) in m.iter().filter(|(k, _)| k != "class") {
        if !COMMON_COMPACTION.contains(&k.as_str()) && !specific.contains(&k.as_str()) {
            unknown.push(k.clone());
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    if !unknown.is_empty() {
        let short = class.rsplit('.').next().unwrap_or(class);
        return Err(SchemaError::config(format!(
            "Properties specified [{}] are not understood by {short}",
            unknown.join(", ")
        )));
    }
    for k in ["min_threshold", "max_threshold"] {
        if out.get(k).is_some_and(|v| v.parse::<u32>().is_err()) {
            return Err(SchemaError::config(format!(
                "{k} must be an integer, was {}",
                out[k]
            )));
        }
    }
    Ok(out)
}

fn compression(m: &[(String, String)]) -> Result<BTreeMap<String, String>, SchemaError> {
    let mut out = BTreeMap::new();
    let enabled = m
        .iter()
        .find(|(k, _)| k == "enabled")
        .map(|(_, v)| v.as_str());
    if enabled.is_some_and(|e| e.eq_ignore_ascii_case("false")) {
        out.insert("enabled".into(), "false".into());
        return Ok(out);
    }
    let class = m
        .iter()
        .find(|(k, _)| k == "class" || k == "sstable_compression")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| {
            SchemaError::config("Missing sub-option 'class' for the 'compression' option.")
        })?;
    let short = class.rsplit('.').next().unwrap_or(class);
    let full = match short {
        "LZ4Compressor" | "SnappyCompressor" | "DeflateCompressor" | "ZstdCompressor"
        | "NoopCompressor" => format!("org.apache.cassandra.io.compress.{short}"),
        _ => {
            return Err(SchemaError::config(format!(
                "Could not create Compression for type {class}"
            )))
        }
    };
    out.insert("class".into(), full);
    out.insert("chunk_length_in_kb".into(), "16".into());
    for (k, v) in m {
        match k.as_str() {
            "class" | "sstable_compression" | "enabled" => {}
            "chunk_length_in_kb" | "chunk_length_kb" => {
                let n: u32 = v.parse().map_err(|_| {
                    SchemaError::config(format!("Invalid value for chunk_length_in_kb: {v}"))
                })?;
                if n == 0 || !n.is_power_of_two() {
                    return Err(SchemaError::config(format!(
                        "chunk_length_in_kb must be a power of 2 (got {n})"
                    )));
                }
                out.insert("chunk_length_in_kb".into(), v.clone());
            }
            "min_compress_ratio" | "compression_level" | "max_compressed_length" => {
                out.insert(k.clone(), v.clone());
            }
            _ => {
                return Err(SchemaError::config(format!(
                    "Unknown compression options {k}"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, v: &str) -> Property {
        Property {
            name: name.into(),
            value: PropertyValue::Simple(v.into()),
        }
    }

    fn pm(name: &str, kv: &[(&str, &str)]) -> Property {
        Property {
            name: name.into(),
            value: PropertyValue::Map(
                kv.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn short_compaction_class_is_stored_with_full_name() {
        let mut t = TableParams::default();
        t.apply(
            &[pm(
                "compaction",
                &[
                    ("class", "LeveledCompactionStrategy"),
                    ("sstable_size_in_mb", "160"),
                ],
            )],
            false,
        )
        .expect("valid");
        assert_eq!(t.compaction.get("class").map(String::as_str), Some(LCS));
        assert_eq!(
            t.compaction.get("sstable_size_in_mb").map(String::as_str),
            Some("160")
        );
        assert_eq!(
            t.compaction.get("max_threshold").map(String::as_str),
            Some("32")
        );
    }

    #[test]
    fn unknown_property_and_class_are_rejected() {
        let mut t = TableParams::default();
        let e = t.apply(&[p("foo", "1")], false).unwrap_err();
        assert_eq!(e.to_string(), "Unknown property 'foo'");
        let e = t
            .apply(&[pm("compaction", &[("class", "FooStrategy")])], false)
            .unwrap_err();
        assert!(matches!(e, SchemaError::Config(_)));
        assert_eq!(
            e.to_string(),
            "Unable to find compaction strategy class 'org.apache.cassandra.db.compaction.FooStrategy'"
        );
        let e = t
            .apply(
                &[pm(
                    "compaction",
                    &[("class", "SizeTieredCompactionStrategy"), ("bar", "1")],
                )],
                false,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Properties specified [bar] are not understood by SizeTieredCompactionStrategy"
        );
    }

    #[test]
    fn extensions_are_blobs_and_memtable_must_exist() {
        let mut t = TableParams::default();
        t.apply(&[pm("extensions", &[("x", "0x01ff")])], false)
            .expect("valid");
        assert_eq!(t.extensions.get("x"), Some(&vec![1u8, 255]));
        assert!(t.apply(&[pm("extensions", &[("x", "zz")])], false).is_err());
        let e = t.apply(&[p("memtable", "trie")], false).unwrap_err();
        assert_eq!(e.to_string(), "Memtable configuration \"trie\" not found.");
    }

    #[test]
    fn speculative_retry_is_canonical() {
        assert_eq!(
            speculative("speculative_retry", "99PERCENTILE")
                .ok()
                .as_deref(),
            Some("99p")
        );
        assert_eq!(
            speculative("speculative_retry", "95.5p").ok().as_deref(),
            Some("95.5p")
        );
        assert_eq!(
            speculative("speculative_retry", "25ms").ok().as_deref(),
            Some("25ms")
        );
        assert_eq!(
            speculative("speculative_retry", "none").ok().as_deref(),
            Some("NEVER")
        );
        assert_eq!(
            speculative("speculative_retry", "min(99percentile,50ms)")
                .ok()
                .as_deref(),
            Some("MIN(99p,50ms)")
        );
        assert!(speculative("speculative_retry", "sometimes").is_err());
    }

    #[test]
    fn simple_options_are_parsed_and_validated() {
        let mut t = TableParams::default();
        t.apply(
            &[
                p("gc_grace_seconds", "3600"),
                p("comment", "it's"),
                p("default_time_to_live", "60"),
            ],
            false,
        )
        .expect("valid");
        assert_eq!(t.gc_grace_seconds, 3600);
        assert_eq!(t.comment, "it's");
        assert_eq!(t.default_time_to_live, 60);
        assert!(t.apply(&[p("gc_grace_seconds", "-1")], false).is_err());
        assert!(t.apply(&[p("bloom_filter_fp_chance", "0")], false).is_err());
        assert!(t.apply(&[p("default_time_to_live", "10")], true).is_err());
    }
}
