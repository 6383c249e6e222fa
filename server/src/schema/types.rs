//! Type resolution and type names: turns a type as written in a statement
//! ([`RawType`]) into a [`CqlType`] against a keyspace's user-defined types, and
//! prints types and identifiers the way Cassandra writes them in `system_schema` and
//! DESCRIBE (`frozen<list<int>>`, `map<text, int>`, `"MixedCase"`).

use std::sync::Arc;

use cql::types::{CqlType, UdtType};

use super::error::SchemaError;
use super::model::KeyspaceDef;

/// A type as written in a DDL statement, before user types are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawType {
    /// A native type name, lower case (`int`, `varchar`, ...).
    Native(String),
    List(Box<RawType>),
    Set(Box<RawType>),
    Map(Box<RawType>, Box<RawType>),
    Tuple(Vec<RawType>),
    Frozen(Box<RawType>),
    Vector(Box<RawType>, u32),
    /// `'org.apache.cassandra.db.marshal.X'`.
    Custom(String),
    /// A user-defined type, optionally qualified.
    User {
        keyspace: Option<String>,
        name: String,
    },
}

/// The native type for a lower-case name (`varchar` is `text`).
pub fn native_type(name: &str) -> Option<CqlType> {
    Some(match name.to_ascii_lowercase().as_str() {
        "ascii" => CqlType::Ascii,
        "bigint" => CqlType::Bigint,
        "blob" => CqlType::Blob,
        "boolean" => CqlType::Boolean,
        "counter" => CqlType::Counter,
        "date" => CqlType::Date,
        "decimal" => CqlType::Decimal,
        "double" => CqlType::Double,
        "duration" => CqlType::Duration,
        "float" => CqlType::Float,
        "inet" => CqlType::Inet,
        "int" => CqlType::Int,
        "smallint" => CqlType::Smallint,
        "text" | "varchar" => CqlType::Text,
        "time" => CqlType::Time,
        "timestamp" => CqlType::Timestamp,
        "timeuuid" => CqlType::Timeuuid,
        "tinyint" => CqlType::Tinyint,
        "uuid" => CqlType::Uuid,
        "varint" => CqlType::Varint,
        _ => return None,
    })
}

/// Resolves `raw` for a statement on keyspace `keyspace` (whose user types are in
/// `ks`, when it exists), with Cassandra's checks on nesting and freezing.
pub fn resolve_type(
    raw: &RawType,
    keyspace: &str,
    ks: Option<&KeyspaceDef>,
) -> Result<CqlType, SchemaError> {
    resolve(raw, keyspace, ks)
}

fn resolve(
    raw: &RawType,
    keyspace: &str,
    ks: Option<&KeyspaceDef>,
) -> Result<CqlType, SchemaError> {
    let t = match raw {
        RawType::Native(n) => native_type(n)
            .ok_or_else(|| SchemaError::invalid(format!("Unknown type {keyspace}.{n}")))?,
        RawType::Custom(class) => CqlType::Custom(class.clone()),
        RawType::List(e) => CqlType::List(Box::new(element(e, raw, keyspace, ks)?)),
        RawType::Set(e) => CqlType::Set(Box::new(element(e, raw, keyspace, ks)?)),
        RawType::Map(k, v) => CqlType::Map(
            Box::new(element(k, raw, keyspace, ks)?),
            Box::new(element(v, raw, keyspace, ks)?),
        ),
        RawType::Tuple(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                let t = resolve(i, keyspace, ks)?;
                if t.is_counter() {
                    return Err(SchemaError::invalid(
                        "Counters are not allowed inside tuples",
                    ));
                }
                out.push(freeze(t));
            }
            CqlType::Tuple(out)
        }
        RawType::Vector(e, n) => {
            if *n == 0 {
                return Err(SchemaError::invalid(
                    "vectors may only have positive dimensions; given 0",
                ));
            }
            let t = resolve(e, keyspace, ks)?;
            if t.is_counter() {
                return Err(SchemaError::invalid("vectors may not contain counters"));
            }
            CqlType::Vector(Box::new(freeze(t)), *n)
        }
        RawType::Frozen(inner) => {
            let t = resolve(inner, keyspace, ks)?;
            match t {
                CqlType::List(_)
                | CqlType::Set(_)
                | CqlType::Map(_, _)
                | CqlType::Tuple(_)
                | CqlType::Udt(_) => freeze(t),
                CqlType::Frozen(_) => t,
                other => {
                    return Err(SchemaError::invalid(format!(
                        "frozen<> is only allowed on collections, tuples, and user-defined types (got {})",
                        type_name(&other)
                    )))
                }
            }
        }
        RawType::User { keyspace: q, name } => {
            if let Some(q) = q {
                if q != keyspace {
                    return Err(SchemaError::invalid(format!(
                        "Statement on keyspace {keyspace} cannot refer to a user type in keyspace {q}; user types can only be used in the keyspace they are defined in"
                    )));
                }
            }
            let udt = ks
                .and_then(|k| k.types.iter().find(|t| &t.name == name))
                .ok_or_else(|| SchemaError::invalid(format!("Unknown type {keyspace}.{name}")))?;
            CqlType::Udt(Arc::new(udt.to_cql(ks)?))
        }
    };
    Ok(t)
}

/// Resolves a collection element: counters and non-frozen collections or UDTs are
/// refused, everything else is frozen (elements are always stored as one value).
fn element(
    e: &RawType,
    outer: &RawType,
    keyspace: &str,
    ks: Option<&KeyspaceDef>,
) -> Result<CqlType, SchemaError> {
    let t = resolve(e, keyspace, ks)?;
    let shown = || raw_name(outer);
    if t.is_counter() {
        return Err(SchemaError::invalid(format!(
            "Counters are not allowed inside collections: {}",
            shown()
        )));
    }
    match &t {
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _) => {
            Err(SchemaError::invalid(format!(
                "Non-frozen collections are not allowed inside collections: {}",
                shown()
            )))
        }
        CqlType::Udt(_) => Err(SchemaError::invalid(format!(
            "Non-frozen UDTs are not allowed inside collections: {}",
            shown()
        ))),
        _ => Ok(freeze(t)),
    }
}

/// Wraps a collection, tuple or UDT in `Frozen` (once); other types are unchanged.
pub fn freeze(t: CqlType) -> CqlType {
    match t {
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(_, _)
        | CqlType::Tuple(_)
        | CqlType::Udt(_) => CqlType::Frozen(Box::new(t)),
        other => other,
    }
}

/// The raw type as the user wrote it, for error messages.
pub fn raw_name(t: &RawType) -> String {
    match t {
        RawType::Native(n) => n.to_ascii_lowercase(),
        RawType::Custom(c) => format!("'{c}'"),
        RawType::List(e) => format!("list<{}>", raw_name(e)),
        RawType::Set(e) => format!("set<{}>", raw_name(e)),
        RawType::Map(k, v) => format!("map<{}, {}>", raw_name(k), raw_name(v)),
        RawType::Tuple(items) => format!(
            "tuple<{}>",
            items.iter().map(raw_name).collect::<Vec<_>>().join(", ")
        ),
        RawType::Frozen(i) => format!("frozen<{}>", raw_name(i)),
        RawType::Vector(e, n) => format!("vector<{}, {n}>", raw_name(e)),
        RawType::User {
            keyspace: Some(k),
            name,
        } => format!("{}.{}", quote_ident(k), quote_ident(name)),
        RawType::User {
            keyspace: None,
            name,
        } => quote_ident(name),
    }
}

/// The type's name as `system_schema.columns.type` and DESCRIBE write it (every nested
/// frozen level spelled out, as Cassandra's schema tables do).
pub fn type_name(t: &CqlType) -> String {
    t.cql_name()
}

/// Whether `t` mentions the user type `name` anywhere.
pub fn references_udt(t: &CqlType, name: &str) -> bool {
    match t {
        CqlType::Udt(u) => u.name == name || u.fields.iter().any(|(_, f)| references_udt(f, name)),
        CqlType::Frozen(i) | CqlType::List(i) | CqlType::Set(i) | CqlType::Vector(i, _) => {
            references_udt(i, name)
        }
        CqlType::Map(k, v) => references_udt(k, name) || references_udt(v, name),
        CqlType::Tuple(items) => items.iter().any(|i| references_udt(i, name)),
        _ => false,
    }
}

/// Replaces every occurrence of the user type `new.name` inside `t` by `new`.
pub fn replace_udt(t: &CqlType, new: &Arc<UdtType>) -> CqlType {
    let r = |i: &CqlType| Box::new(replace_udt(i, new));
    match t {
        CqlType::Udt(u) if u.name == new.name => CqlType::Udt(new.clone()),
        CqlType::Udt(u) => CqlType::Udt(Arc::new(UdtType {
            keyspace: u.keyspace.clone(),
            name: u.name.clone(),
            fields: u
                .fields
                .iter()
                .map(|(n, f)| (n.clone(), replace_udt(f, new)))
                .collect(),
        })),
        CqlType::Frozen(i) => CqlType::Frozen(r(i)),
        CqlType::List(i) => CqlType::List(r(i)),
        CqlType::Set(i) => CqlType::Set(r(i)),
        CqlType::Vector(i, n) => CqlType::Vector(r(i), *n),
        CqlType::Map(k, v) => CqlType::Map(r(k), r(v)),
        CqlType::Tuple(items) => {
            CqlType::Tuple(items.iter().map(|i| replace_udt(i, new)).collect())
        }
        other => other.clone(),
    }
}

/// Identifiers are quoted as Cassandra's `ColumnIdentifier.maybeQuote` does (one rule,
/// with the parser's reserved keywords, lives in the cql crate).
pub use cql::types::quote_identifier as quote_ident;

/// A string as a CQL string literal: single-quoted with `'` doubled.
pub fn quote_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> RawType {
        RawType::Native(s.into())
    }

    fn b(t: RawType) -> Box<RawType> {
        Box::new(t)
    }

    fn name_of(raw: RawType) -> String {
        type_name(&resolve_type(&raw, "ks", None).expect("resolves"))
    }

    #[test]
    fn type_names_are_cassandras_spelling() {
        assert_eq!(name_of(n("varchar")), "text");
        assert_eq!(name_of(RawType::List(b(n("int")))), "list<int>");
        assert_eq!(
            name_of(RawType::Frozen(b(RawType::List(b(n("int")))))),
            "frozen<list<int>>"
        );
        assert_eq!(
            name_of(RawType::Map(b(n("text")), b(n("bigint")))),
            "map<text, bigint>"
        );
        assert_eq!(
            name_of(RawType::Set(b(RawType::Frozen(b(RawType::Map(
                b(n("int")),
                b(n("text"))
            )))))),
            "set<frozen<map<int, text>>>"
        );
        assert_eq!(
            name_of(RawType::Tuple(vec![n("int"), n("text")])),
            "frozen<tuple<int, text>>"
        );
        assert_eq!(
            name_of(RawType::Vector(b(n("float")), 3)),
            "vector<float, 3>"
        );
        assert_eq!(
            name_of(RawType::List(b(RawType::Tuple(vec![
                n("int"),
                RawType::List(b(n("int")))
            ])))),
            "list<frozen<tuple<int, frozen<list<int>>>>>"
        );
    }

    #[test]
    fn nesting_rules_are_enforced() {
        let err = |raw: RawType| resolve_type(&raw, "ks", None).unwrap_err().to_string();
        assert_eq!(
            err(RawType::List(b(RawType::List(b(n("int")))))),
            "Non-frozen collections are not allowed inside collections: list<list<int>>"
        );
        assert_eq!(
            err(RawType::Set(b(n("counter")))),
            "Counters are not allowed inside collections: set<counter>"
        );
        assert_eq!(
            err(RawType::Frozen(b(n("int")))),
            "frozen<> is only allowed on collections, tuples, and user-defined types (got int)"
        );
        assert_eq!(err(n("nosuch")), "Unknown type ks.nosuch");
        assert_eq!(
            err(RawType::User { keyspace: Some("other".into()), name: "u".into() }),
            "Statement on keyspace ks cannot refer to a user type in keyspace other; user types can only be used in the keyspace they are defined in"
        );
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_ident("abc_1"), "abc_1");
        assert_eq!(quote_ident("MixedCase"), "\"MixedCase\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("1abc"), "\"1abc\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_string("it's"), "'it''s'");
    }
}
