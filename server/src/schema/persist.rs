//! The schema on disk: `data_dir/schema/schema.json`, one JSON document holding the
//! user keyspaces and the schema version, with a format number. Every change writes a
//! temp file, fsyncs it, renames it over the old one and fsyncs the directory, so a
//! crash leaves either the old or the new schema, never a torn one. System keyspaces
//! are not stored: they are rebuilt from code at each start.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::SchemaError;
use super::model::KeyspaceDef;

/// Bumped when the document's shape changes incompatibly.
const FORMAT: u32 = 1;
const FILE: &str = "schema.json";

#[derive(Serialize, Deserialize)]
struct Document {
    format: u32,
    version: Uuid,
    keyspaces: BTreeMap<String, KeyspaceDef>,
}

/// The schema version and the user keyspaces by name.
pub type Persisted = (Uuid, BTreeMap<String, KeyspaceDef>);

/// The persisted user keyspaces and version, or `None` on first start.
pub fn load(dir: &Path) -> Result<Option<Persisted>, SchemaError> {
    let path = dir.join(FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let corrupt = |reason: String| SchemaError::Corrupt {
        path: path.display().to_string(),
        reason,
    };
    let doc: Document = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if doc.format != FORMAT {
        return Err(corrupt(format!(
            "unsupported format {} (expected {FORMAT})",
            doc.format
        )));
    }
    Ok(Some((doc.version, doc.keyspaces)))
}

/// Atomically replaces the stored schema.
pub fn save(
    dir: &Path,
    version: Uuid,
    keyspaces: &BTreeMap<String, KeyspaceDef>,
) -> Result<(), SchemaError> {
    fs::create_dir_all(dir)?;
    let doc = Document {
        format: FORMAT,
        version,
        keyspaces: keyspaces.clone(),
    };
    let bytes =
        serde_json::to_vec_pretty(&doc).map_err(|e| SchemaError::Io(std::io::Error::other(e)))?;
    let tmp: PathBuf = dir.join(format!("{FILE}.tmp"));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, dir.join(FILE))?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Serde for [`cql::types::CqlType`] (which has no serde of its own) through a mirror
/// enum. User types are stored with their fields, so a column's type reads back
/// without a lookup.
pub mod cql_type_serde {
    use std::sync::Arc;

    use cql::types::{CqlType, UdtType};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum T {
        Native(String),
        Custom(String),
        List(Box<T>),
        Set(Box<T>),
        Map(Box<T>, Box<T>),
        Tuple(Vec<T>),
        Udt {
            keyspace: String,
            name: String,
            fields: Vec<(String, T)>,
        },
        Vector(Box<T>, u32),
        Frozen(Box<T>),
    }

    fn to(t: &CqlType) -> T {
        match t {
            CqlType::Custom(c) => T::Custom(c.clone()),
            CqlType::List(e) => T::List(Box::new(to(e))),
            CqlType::Set(e) => T::Set(Box::new(to(e))),
            CqlType::Map(k, v) => T::Map(Box::new(to(k)), Box::new(to(v))),
            CqlType::Tuple(items) => T::Tuple(items.iter().map(to).collect()),
            CqlType::Udt(u) => T::Udt {
                keyspace: u.keyspace.clone(),
                name: u.name.clone(),
                fields: u.fields.iter().map(|(n, f)| (n.clone(), to(f))).collect(),
            },
            CqlType::Vector(e, n) => T::Vector(Box::new(to(e)), *n),
            CqlType::Frozen(e) => T::Frozen(Box::new(to(e))),
            native => T::Native(crate::schema::types::type_name(native)),
        }
    }

    fn from(t: T) -> Result<CqlType, String> {
        Ok(match t {
            T::Native(n) => {
                crate::schema::types::native_type(&n).ok_or_else(|| format!("unknown type {n}"))?
            }
            T::Custom(c) => CqlType::Custom(c),
            T::List(e) => CqlType::List(Box::new(from(*e)?)),
            T::Set(e) => CqlType::Set(Box::new(from(*e)?)),
            T::Map(k, v) => CqlType::Map(Box::new(from(*k)?), Box::new(from(*v)?)),
            T::Tuple(items) => {
                CqlType::Tuple(items.into_iter().map(from).collect::<Result<_, _>>()?)
            }
            T::Udt {
                keyspace,
                name,
                fields,
            } => CqlType::Udt(Arc::new(UdtType {
                keyspace,
                name,
                fields: fields
                    .into_iter()
                    .map(|(n, f)| Ok((n, from(f)?)))
                    .collect::<Result<_, String>>()?,
            })),
            T::Vector(e, n) => CqlType::Vector(Box::new(from(*e)?), n),
            T::Frozen(e) => CqlType::Frozen(Box::new(from(*e)?)),
        })
    }

    pub fn serialize<S: Serializer>(t: &CqlType, s: S) -> Result<S::Ok, S::Error> {
        to(t).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CqlType, D::Error> {
        from(T::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cql::types::{CqlType, UdtType};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct W(#[serde(with = "super::cql_type_serde")] CqlType);

    #[test]
    fn every_kind_of_type_round_trips_through_json() {
        use CqlType::*;
        let udt = Udt(Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "Addr".into(),
            fields: vec![
                ("street".into(), Text),
                ("tags".into(), List(Box::new(Int))),
            ],
        }));
        let natives = [
            Ascii, Bigint, Blob, Boolean, Counter, Decimal, Double, Float, Int, Timestamp, Uuid,
            Text, Varint, Timeuuid, Inet, Date, Time, Smallint, Tinyint, Duration,
        ];
        let mut all: Vec<CqlType> = natives.to_vec();
        all.extend([
            Custom("org.apache.cassandra.db.marshal.BytesType".into()),
            List(Box::new(Int)),
            Set(Box::new(Frozen(Box::new(udt.clone())))),
            Map(
                Box::new(Text),
                Box::new(Frozen(Box::new(List(Box::new(Int))))),
            ),
            Tuple(vec![Int, Text]),
            Vector(Box::new(Float), 3),
            Frozen(Box::new(udt.clone())),
            udt,
        ]);
        for t in all {
            let json = serde_json::to_string(&W(t.clone())).expect("serialize");
            let back: W = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back.0, t, "{json}");
        }
        assert!(serde_json::from_str::<W>("{\"native\":\"nosuch\"}").is_err());
    }
}
