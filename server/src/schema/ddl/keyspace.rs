//! CREATE / ALTER / DROP KEYSPACE and replication options.

use std::collections::BTreeMap;

use super::{change_keyspace, validate_name, Ctx, SchemaChange, SchemaChangeType, StorageOp};
use crate::schema::error::SchemaError;
use crate::schema::model::{KeyspaceDef, Replication};
use crate::schema::params::{Property, PropertyValue};

/// Reads `replication` and `durable_writes`.
fn read_props(
    ks: &str,
    props: &[Property],
    datacenters: &[String],
) -> Result<(Option<Replication>, Option<bool>), SchemaError> {
    let mut replication = None;
    let mut durable = None;
    for p in props {
        match (p.name.to_ascii_lowercase().as_str(), &p.value) {
            ("replication", PropertyValue::Map(m)) => {
                replication = Some(parse_replication(ks, m, datacenters)?)
            }
            ("replication", PropertyValue::Simple(_)) => {
                return Err(SchemaError::Syntax(
                    "Invalid value for property 'replication'. It should be a map.".into(),
                ))
            }
            ("durable_writes", PropertyValue::Simple(v)) => {
                durable = Some(match v.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(SchemaError::Syntax(format!(
                            "Invalid boolean value {v} for 'durable_writes'. Valid values are 'true' and 'false'."
                        )))
                    }
                })
            }
            _ => return Err(SchemaError::Syntax(format!("Unknown property '{}'", p.name))),
        }
    }
    Ok((replication, durable))
}

fn parse_rf(v: &str) -> Result<String, SchemaError> {
    // Transient replication ("3/1") is not supported: say so rather than accept it.
    let n: i64 = v.trim().parse().map_err(|_| {
        SchemaError::config(format!(
            "Replication factor must be a non-negative integer; found {v}"
        ))
    })?;
    if n < 0 {
        return Err(SchemaError::config(format!(
            "Replication factor must be non-negative; found {n}"
        )));
    }
    Ok(n.to_string())
}

/// Validates a replication map as Cassandra's `ReplicationParams` and strategies do.
pub fn parse_replication(
    ks: &str,
    m: &[(String, String)],
    datacenters: &[String],
) -> Result<Replication, SchemaError> {
    let class = m
        .iter()
        .find(|(k, _)| k == "class")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| SchemaError::config("Missing replication strategy class"))?;
    let short = class
        .strip_prefix("org.apache.cassandra.locator.")
        .unwrap_or(class);
    let opts: Vec<&(String, String)> = m.iter().filter(|(k, _)| k != "class").collect();
    match short {
        "SimpleStrategy" => {
            let mut rf = None;
            for (k, v) in &opts {
                if k != "replication_factor" {
                    return Err(SchemaError::config(format!(
                        "Unrecognized strategy option {{{k}}} passed to SimpleStrategy for keyspace {ks}"
                    )));
                }
                rf = Some(parse_rf(v)?);
            }
            let replication_factor = rf.ok_or_else(|| {
                SchemaError::config("SimpleStrategy requires a replication_factor strategy option.")
            })?;
            Ok(Replication::Simple { replication_factor })
        }
        "NetworkTopologyStrategy" => {
            let mut dcs = BTreeMap::new();
            let mut default_rf = None;
            for (k, v) in &opts {
                let rf = parse_rf(v)?;
                if k == "replication_factor" {
                    default_rf = Some(rf);
                } else {
                    dcs.insert(k.clone(), rf);
                }
            }
            // `replication_factor` expands to every known data centre not given
            // explicitly (CASSANDRA-14303).
            if let Some(rf) = default_rf {
                for dc in datacenters {
                    dcs.entry(dc.clone()).or_insert_with(|| rf.clone());
                }
                if datacenters.is_empty() {
                    dcs.insert("replication_factor".into(), rf);
                }
            }
            dcs.retain(|_, rf| rf != "0");
            Ok(Replication::NetworkTopology { data_centers: dcs })
        }
        "LocalStrategy" | "EverywhereStrategy" => Err(SchemaError::config(format!(
            "Unable to use given strategy class: {short} is reserved for internal use."
        ))),
        _ => Err(SchemaError::config(format!(
            "Unable to find replication strategy class '{}'",
            if class.contains('.') {
                class.to_string()
            } else {
                format!("org.apache.cassandra.locator.{class}")
            }
        ))),
    }
}

pub fn create(
    ctx: &mut Ctx<'_>,
    name: &str,
    if_not_exists: bool,
    props: &[Property],
) -> Result<Option<SchemaChange>, SchemaError> {
    validate_name("Keyspace", name)?;
    ctx.check_writable(name)?;
    let (replication, durable) = read_props(name, props, &ctx.datacenters)?;
    if ctx.schema.keyspaces.contains_key(name) {
        if if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::keyspace_exists(name));
    }
    let replication =
        replication.ok_or_else(|| SchemaError::config("Missing mandatory option 'replication'"))?;
    ctx.schema.keyspaces.insert(
        name.to_string(),
        KeyspaceDef {
            name: name.to_string(),
            replication,
            durable_writes: durable.unwrap_or(true),
            tables: BTreeMap::new(),
            views: BTreeMap::new(),
            types: Vec::new(),
            system: false,
            is_virtual: false,
        },
    );
    Ok(Some(change_keyspace(SchemaChangeType::Created, name)))
}

pub fn alter(
    ctx: &mut Ctx<'_>,
    name: &str,
    if_exists: bool,
    props: &[Property],
) -> Result<Option<SchemaChange>, SchemaError> {
    if !super::is_replicated_system(name) {
        ctx.check_writable(name)?;
    }
    let (replication, durable) = read_props(name, props, &ctx.datacenters)?;
    let Some(ks) = ctx.schema.keyspaces.get_mut(name) else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Keyspace '{name}' doesn't exist"
        )));
    };
    if let Some(r) = replication {
        ks.replication = r;
    }
    if let Some(d) = durable {
        ks.durable_writes = d;
    }
    Ok(Some(change_keyspace(SchemaChangeType::Updated, name)))
}

pub fn drop(
    ctx: &mut Ctx<'_>,
    name: &str,
    if_exists: bool,
) -> Result<Option<SchemaChange>, SchemaError> {
    ctx.check_writable(name)?;
    let Some(ks) = ctx.schema.keyspaces.remove(name) else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Keyspace '{name}' doesn't exist"
        )));
    };
    for t in ks.tables.into_values().chain(ks.views.into_values()) {
        ctx.ops.push(StorageOp::Drop(t));
    }
    Ok(Some(change_keyspace(SchemaChangeType::Dropped, name)))
}
