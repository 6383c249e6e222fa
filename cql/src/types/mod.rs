//! CQL data types and values.
//!
//! [`CqlType`] and [`CqlValue`] are the shared vocabulary of the whole workspace: the
//! protocol encodes them in metadata and rows, the parser produces them from literals and
//! type names, the server validates and stores them. Serialization follows the native
//! protocol spec, section 6 ("Data Type Serialization Formats").
//!
//! Layout:
//! - `option`: `[option]` type ids on the wire and marshal class names.
//! - `name`: CQL type names (`map<text, int>`, `frozen<list<int>>`), both ways.
//! - `serialize` / `deserialize`: value codecs and `validate`.
//! - `literal`: parser constants to values (`from_literal`), with Cassandra's messages.
//! - [`temporal`]: timestamp, date, time and duration text formats.
//! - `compare`: Cassandra's order on serialized values; [`normalize`] sorts sets and
//!   maps in that order.
//! - `key`: byte-comparable clustering encoding, partition-key serialization.
//! - `text`: CQL literal output (`to_cql_literal`); `json`: JSON in and out.

// Values and type options come from the network: no panicking shortcuts (STYLE.md 3).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod canonical;
mod compare;
mod deserialize;
mod error;
mod json;
mod key;
mod literal;
mod name;
mod option;
mod serialize;
pub mod temporal;
mod text;
pub mod vint;

#[cfg(test)]
mod driver_vectors;
#[cfg(test)]
mod parser_contract;
#[cfg(test)]
mod proptests;

pub use canonical::normalize;
pub use compare::{compare, try_compare};
pub use deserialize::{accepts_empty, deserialize, fixed_len, validate};
pub use error::{kind_name, TypeError};
pub use json::{from_json, from_json_opt, to_json, to_json_string};
pub use key::{
    decode_key_component, encode_key_component, partition_key_bytes, MAX_KEY_COMPONENT, PREFIX_END,
};
pub use literal::{accepts as literal_accepts, from_literal};
pub use name::{native_from_name, native_name, quote_identifier};
pub use option::MARSHAL;
pub use serialize::{serialize, value_kind};

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use num_bigint::BigInt;
use uuid::Uuid;

/// A CQL type as a column, bind marker or result column has it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CqlType {
    /// A custom type, by its Java class name (`org.apache.cassandra.db.marshal.X`).
    Custom(String),
    Ascii,
    Bigint,
    Blob,
    Boolean,
    Counter,
    Decimal,
    Double,
    Float,
    Int,
    Timestamp,
    Uuid,
    /// `text` and `varchar` are the same type.
    Text,
    Varint,
    Timeuuid,
    Inet,
    Date,
    Time,
    Smallint,
    Tinyint,
    Duration,
    List(Box<CqlType>),
    Set(Box<CqlType>),
    Map(Box<CqlType>, Box<CqlType>),
    Tuple(Vec<CqlType>),
    Udt(Arc<UdtType>),
    /// `vector<elem, n>` (Cassandra 5.0); on the wire a custom type
    /// `org.apache.cassandra.db.marshal.VectorType(elem-class, n)`.
    Vector(Box<CqlType>, u32),
    /// A frozen collection or UDT: serialized as one value, not cell by cell. Only
    /// collections, tuples (always frozen in effect) and UDTs are wrapped; the wire
    /// format does not show frozenness.
    Frozen(Box<CqlType>),
}

/// A user-defined type with its resolved field types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdtType {
    pub keyspace: String,
    pub name: String,
    pub fields: Vec<(String, CqlType)>,
}

impl CqlType {
    /// The type without a `Frozen` wrapper.
    pub fn unfrozen(&self) -> &CqlType {
        match self {
            CqlType::Frozen(inner) => inner.unfrozen(),
            other => other,
        }
    }

    /// Whether values of this type are stored cell by cell (non-frozen list, set, map
    /// or UDT), as Cassandra's `AbstractType.isMultiCell`.
    pub fn is_multi_cell(&self) -> bool {
        matches!(
            self,
            CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _) | CqlType::Udt(_)
        )
    }

    pub fn is_counter(&self) -> bool {
        matches!(self, CqlType::Counter)
    }
}

/// A decoded CQL value. `None` at the places that can hold null is expressed by
/// `Option<CqlValue>` where the protocol allows it (tuple and UDT fields).
#[derive(Debug, Clone, PartialEq)]
pub enum CqlValue {
    Ascii(String),
    Bigint(i64),
    Blob(Bytes),
    Boolean(bool),
    Counter(i64),
    /// `unscaled * 10^-scale`.
    Decimal {
        unscaled: BigInt,
        scale: i32,
    },
    Double(f64),
    Float(f32),
    Int(i32),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Uuid(Uuid),
    Text(String),
    Varint(BigInt),
    Timeuuid(Uuid),
    Inet(IpAddr),
    /// Days since the epoch with 2^31 as the epoch (the wire form: unsigned, centred).
    Date(u32),
    /// Nanoseconds since midnight.
    Time(i64),
    Smallint(i16),
    Tinyint(i8),
    Duration {
        months: i32,
        days: i32,
        nanos: i64,
    },
    List(Vec<CqlValue>),
    Set(Vec<CqlValue>),
    Map(Vec<(CqlValue, CqlValue)>),
    Tuple(Vec<Option<CqlValue>>),
    Udt(Vec<(String, Option<CqlValue>)>),
    Vector(Vec<CqlValue>),
    /// A zero-length value of a type whose normal encoding is not empty (Cassandra
    /// accepts `0x` for an int column, for instance): distinct from null.
    Empty,
}

/// The lexical kind of a CQL constant, as the parser saw it (definitions.adoc,
/// "Constants"). The parser keeps the constant's text; `types` converts the pair
/// (kind, text) to a [`CqlValue`] once the target type is known, with Cassandra's
/// error messages (`Invalid STRING constant (foo) for "k" of type int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiteralKind {
    /// `'...'` or `$$...$$`; the text is unescaped (`''` already folded to `'`).
    String,
    /// `-?[0-9]+`
    Integer,
    /// `-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?`, `NaN`, `Infinity`, `-Infinity`.
    Float,
    /// `true` / `false` (any case).
    Boolean,
    /// An unquoted UUID constant.
    Uuid,
    /// `0x[0-9a-fA-F]*`; the text keeps the `0x` prefix.
    Hex,
    /// A duration constant: `12h30m`, `P1DT2H`, `P1W`, `P0001-02-03T04:05:06`.
    Duration,
}
