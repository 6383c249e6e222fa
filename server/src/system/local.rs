//! `system.local`, `system.peers` and `system.peers_v2` (section 1-3 of
//! system-tables.md). A node alone in its ring has no peers: both peer tables are
//! empty but have their full column sets.

use cql::types::CqlValue;

use super::{NodeIdentity, VirtualTable};
use crate::schema::Schema;

/// Highest non-beta native protocol version, as Cassandra 5.0 reports it.
const NATIVE_PROTOCOL_VERSION: &str = "5";
/// CQL language version of Cassandra 5.0.
pub const CQL_VERSION: &str = "3.4.7";

pub(super) fn fill(table: &str, out: &mut VirtualTable, schema: &Schema, id: &NodeIdentity) {
    if table == "IndexInfo" {
        // Built secondary indexes (docs/INDEXES.md), as Cassandra lists them.
        let mut built = crate::exec::index::built(schema);
        built.sort();
        for (ks, name) in built {
            out.push(vec![
                ("table_name", CqlValue::Text(ks)),
                ("index_name", CqlValue::Text(name)),
            ]);
        }
        return;
    }
    if table != "local" {
        return;
    }
    let text = |s: &str| CqlValue::Text(s.to_string());
    let mut tokens: Vec<String> = id.tokens.iter().map(|t| t.to_string()).collect();
    // A set<text> is ordered by its elements' bytes.
    tokens.sort();
    tokens.dedup();
    out.push(vec![
        ("key", text("local")),
        ("bootstrapped", text("COMPLETED")),
        ("broadcast_address", CqlValue::Inet(id.broadcast_address)),
        ("broadcast_port", CqlValue::Int(i32::from(id.storage_port))),
        ("cluster_name", text(&id.cluster_name)),
        ("cql_version", text(CQL_VERSION)),
        ("data_center", text(&id.data_center)),
        ("host_id", CqlValue::Uuid(id.host_id)),
        ("listen_address", CqlValue::Inet(id.listen_address)),
        ("listen_port", CqlValue::Int(i32::from(id.storage_port))),
        ("native_protocol_version", text(NATIVE_PROTOCOL_VERSION)),
        ("partitioner", text(&id.partitioner)),
        ("rack", text(&id.rack)),
        ("release_version", text(&id.release_version)),
        ("rpc_address", CqlValue::Inet(id.rpc_address)),
        ("rpc_port", CqlValue::Int(i32::from(id.native_port))),
        ("schema_version", CqlValue::Uuid(schema.version)),
        (
            "tokens",
            CqlValue::Set(tokens.into_iter().map(CqlValue::Text).collect()),
        ),
    ]);
}
