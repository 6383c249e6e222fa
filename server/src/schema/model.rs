//! The schema model: keyspaces, tables, columns, user types, indexes, views and
//! dropped columns. Plain immutable data: a [`Schema`] is cloned, changed by DDL and
//! swapped in whole (see `SchemaManager`), so readers never see half a change.

use std::collections::BTreeMap;
use std::sync::Arc;

use cql::types::{CqlType, UdtType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::SchemaError;
use super::params::TableParams;
use super::persist::cql_type_serde;

/// Identifies a column inside one table for the storage engine. Never reused within a
/// table, so data of a dropped column cannot reappear in a re-added one.
pub use storage::ColumnId;

/// Serde for [`ColumnId`] as its number.
mod column_id_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &storage::ColumnId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(id.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<storage::ColumnId, D::Error> {
        Ok(storage::ColumnId(u32::deserialize(d)?))
    }
}

/// The whole schema at one version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    pub keyspaces: BTreeMap<String, KeyspaceDef>,
    pub version: Uuid,
}

impl Schema {
    pub fn keyspace(&self, name: &str) -> Option<&KeyspaceDef> {
        self.keyspaces.get(name)
    }

    /// A table or a materialized view.
    pub fn table(&self, keyspace: &str, name: &str) -> Option<&TableDef> {
        let ks = self.keyspaces.get(keyspace)?;
        ks.tables.get(name).or_else(|| ks.views.get(name))
    }

    /// Every table and view, keyspace by keyspace.
    pub fn all_tables(&self) -> impl Iterator<Item = &TableDef> {
        self.keyspaces
            .values()
            .flat_map(|k| k.tables.values().chain(k.views.values()))
    }
}

/// Where a keyspace's replicas live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replication {
    Simple {
        replication_factor: String,
    },
    /// Data centre name to replication factor (kept as written, e.g. `"3"`).
    NetworkTopology {
        data_centers: BTreeMap<String, String>,
    },
    /// The node's own data only (`system`, `system_schema`).
    Local,
    /// Every node (Cassandra's `EverywhereStrategy`, used by some system keyspaces).
    Everywhere,
}

impl Replication {
    /// The map `system_schema.keyspaces.replication` and DESCRIBE show.
    pub fn as_map(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let class = match self {
            Replication::Simple { replication_factor } => {
                m.insert("replication_factor".into(), replication_factor.clone());
                "org.apache.cassandra.locator.SimpleStrategy"
            }
            Replication::NetworkTopology { data_centers } => {
                m.extend(data_centers.iter().map(|(k, v)| (k.clone(), v.clone())));
                "org.apache.cassandra.locator.NetworkTopologyStrategy"
            }
            Replication::Local => "org.apache.cassandra.locator.LocalStrategy",
            Replication::Everywhere => "org.apache.cassandra.locator.EverywhereStrategy",
        };
        m.insert("class".into(), class.into());
        m
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyspaceDef {
    pub name: String,
    pub replication: Replication,
    pub durable_writes: bool,
    pub tables: BTreeMap<String, TableDef>,
    /// Materialized views (tables whose `view` is set); they share the tables' names.
    pub views: BTreeMap<String, TableDef>,
    /// User types in creation order, so a type always follows the types it uses.
    pub types: Vec<UdtDef>,
    /// Users may not create, alter or drop anything in a system keyspace.
    pub system: bool,
    /// Virtual keyspaces (`system_views`, `system_virtual_schema`) are not listed in
    /// `system_schema.keyspaces`.
    pub is_virtual: bool,
}

impl KeyspaceDef {
    pub fn udt(&self, name: &str) -> Option<&UdtDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// A table or a view.
    pub fn relation(&self, name: &str) -> Option<&TableDef> {
        self.tables.get(name).or_else(|| self.views.get(name))
    }

    /// The index named `name` and the table that holds it.
    pub fn index(&self, name: &str) -> Option<(&TableDef, &IndexDef)> {
        self.tables
            .values()
            .find_map(|t| t.indexes.iter().find(|i| i.name == name).map(|i| (t, i)))
    }
}

/// A user-defined type's definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UdtDef {
    pub keyspace: String,
    pub name: String,
    pub fields: Vec<UdtField>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UdtField {
    pub name: String,
    #[serde(with = "cql_type_serde")]
    pub typ: CqlType,
}

impl UdtDef {
    /// The resolved type (field types already resolved when the type was created).
    pub fn to_cql(&self, _ks: Option<&KeyspaceDef>) -> Result<UdtType, SchemaError> {
        Ok(UdtType {
            keyspace: self.keyspace.clone(),
            name: self.name.clone(),
            fields: self
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.typ.clone()))
                .collect(),
        })
    }

    pub fn as_cql_type(&self) -> CqlType {
        CqlType::Udt(Arc::new(UdtType {
            keyspace: self.keyspace.clone(),
            name: self.name.clone(),
            fields: self
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.typ.clone()))
                .collect(),
        }))
    }
}

/// Clustering order of one clustering column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    Asc,
    Desc,
}

/// A column's role in its table, with its position in the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    PartitionKey(u16),
    Clustering(u16, Order),
    Regular,
    Static,
}

impl ColumnKind {
    /// `system_schema.columns.kind`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ColumnKind::PartitionKey(_) => "partition_key",
            ColumnKind::Clustering(..) => "clustering",
            ColumnKind::Regular => "regular",
            ColumnKind::Static => "static",
        }
    }

    /// `system_schema.columns.position`: -1 for regular and static columns.
    pub fn position(&self) -> i32 {
        match self {
            ColumnKind::PartitionKey(p) | ColumnKind::Clustering(p, _) => i32::from(*p),
            _ => -1,
        }
    }

    /// `system_schema.columns.clustering_order`.
    pub fn clustering_order(&self) -> &'static str {
        match self {
            ColumnKind::Clustering(_, Order::Asc) => "asc",
            ColumnKind::Clustering(_, Order::Desc) => "desc",
            _ => "none",
        }
    }

    pub fn is_primary_key(&self) -> bool {
        matches!(
            self,
            ColumnKind::PartitionKey(_) | ColumnKind::Clustering(..)
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(with = "cql_type_serde")]
    pub typ: CqlType,
    pub kind: ColumnKind,
    #[serde(with = "column_id_serde")]
    pub id: ColumnId,
}

/// A column removed by ALTER TABLE DROP: its data stays hidden until compaction
/// purges it (cells older than `dropped_time`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DroppedColumn {
    pub name: String,
    #[serde(with = "cql_type_serde")]
    pub typ: CqlType,
    /// Microseconds since the epoch.
    pub dropped_time: i64,
    pub kind: ColumnKind,
}

/// `system_schema.indexes.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Composites,
    Keys,
    Custom,
}

impl IndexKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            IndexKind::Composites => "COMPOSITES",
            IndexKind::Keys => "KEYS",
            IndexKind::Custom => "CUSTOM",
        }
    }
}

/// A secondary index. `options` always holds `target` (and `class_name` when custom).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    pub options: BTreeMap<String, String>,
    /// The storage id of the index's hidden table (docs/INDEXES.md), new at each
    /// CREATE INDEX. `None` in schemas written before indexes had tables: such an
    /// index is answered by scanning the base table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_id: Option<Uuid>,
}

impl IndexDef {
    pub fn target(&self) -> &str {
        self.options.get("target").map(String::as_str).unwrap_or("")
    }

    /// The storage definition of the index's hidden table: the base table's storage
    /// options under the index's own id. Never part of a keyspace, so never listed
    /// as a table (system_schema and DESCRIBE show the index, as Cassandra does).
    pub fn storage_table(&self, base: &TableDef) -> Option<TableDef> {
        let id = self.table_id?;
        let mut t = base.clone();
        t.id = id;
        t.name = format!("{}.{}_index", base.name, self.name);
        t.indexes.clear();
        Some(t)
    }
}

/// What makes a table a materialized view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ViewDef {
    pub base_table_id: Uuid,
    pub base_table_name: String,
    /// The WHERE clause as CQL text, as `system_schema.views.where_clause` shows it.
    pub where_clause: String,
    pub include_all_columns: bool,
}

/// A table or a materialized view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDef {
    pub keyspace: String,
    pub name: String,
    pub id: Uuid,
    /// Partition key columns in key order, clustering columns in key order, then the
    /// static columns by name, then the regular columns by name: the order of `SELECT *`.
    pub columns: Vec<ColumnDef>,
    /// Indexes into `columns`.
    pub partition_key: Vec<usize>,
    pub clustering: Vec<usize>,
    pub params: TableParams,
    /// `flags` contains `counter`.
    pub is_counter: bool,
    pub dropped: Vec<DroppedColumn>,
    pub indexes: Vec<IndexDef>,
    pub view: Option<ViewDef>,
    /// The number of the next added column's [`ColumnId`].
    pub next_column_id: u32,
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn partition_key_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.partition_key
            .iter()
            .filter_map(|&i| self.columns.get(i))
    }

    pub fn clustering_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.clustering.iter().filter_map(|&i| self.columns.get(i))
    }

    /// Static then regular columns, by name (Cassandra's DESCRIBE order).
    pub fn static_and_regular(&self) -> impl Iterator<Item = &ColumnDef> {
        let statics = self.columns.iter().filter(|c| c.kind == ColumnKind::Static);
        let regulars = self
            .columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Regular);
        statics.chain(regulars)
    }

    pub fn has_static(&self) -> bool {
        self.columns.iter().any(|c| c.kind == ColumnKind::Static)
    }

    /// `system_schema.tables.flags`.
    pub fn flags(&self) -> Vec<String> {
        let mut f = vec!["compound".to_string()];
        if self.is_counter {
            f.push("counter".into());
        }
        f
    }

    /// Puts the columns back in `SELECT *` order and recomputes the key indexes; call
    /// after any change to `columns`.
    pub fn normalize(&mut self) {
        let rank = |c: &ColumnDef| match c.kind {
            ColumnKind::PartitionKey(p) => (0, p, String::new()),
            ColumnKind::Clustering(p, _) => (1, p, String::new()),
            // Statics before regulars, each by name (`RegularAndStaticColumns
            // .selectOrderIterator`).
            ColumnKind::Static => (2, 0, c.name.clone()),
            ColumnKind::Regular => (3, 0, c.name.clone()),
        };
        self.columns.sort_by_key(rank);
        self.partition_key = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.kind, ColumnKind::PartitionKey(_)))
            .map(|(i, _)| i)
            .collect();
        self.clustering = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.kind, ColumnKind::Clustering(..)))
            .map(|(i, _)| i)
            .collect();
    }
}
