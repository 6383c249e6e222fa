//! `TypeError`: every way a type name, a type option, a serialized value or a constant
//! can be wrong. The messages follow Cassandra's (`MarshalException` texts, "Invalid
//! STRING constant ..."), because clients and tests compare them.

use super::LiteralKind;

/// An error of the type system. `Display` gives the message a client should see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// A serialized value is not valid for its type (Cassandra's `MarshalException`),
    /// e.g. `Expected 4 or 0 byte int (3)` or `String didn't validate.`.
    #[error("{0}")]
    Marshal(String),
    /// A constant of the wrong lexical kind for the target type. Use
    /// [`TypeError::for_receiver`] to name the column as Cassandra does.
    #[error("Invalid {} constant ({text}) for type {typ}", kind_name(*kind))]
    InvalidConstant {
        kind: LiteralKind,
        text: String,
        /// The CQL name of the target type (`int`, `map<text, int>`).
        typ: String,
    },
    /// A constant of the right kind whose value does not fit the type, with
    /// Cassandra's message (`Unable to make int from '12345678901'`).
    #[error("{0}")]
    InvalidValue(String),
    /// A type name that does not parse (`CqlType::parse_cql`) or a bad type option.
    #[error("{0}")]
    Syntax(String),
    /// A type option id or custom class this implementation does not know.
    #[error("{0}")]
    Unsupported(String),
    /// A type that cannot be used where it was asked for (duration in a key, ...).
    #[error("{0}")]
    NotComparable(String),
}

/// The constant kind as Cassandra spells it in messages.
pub fn kind_name(kind: LiteralKind) -> &'static str {
    match kind {
        LiteralKind::String => "STRING",
        LiteralKind::Integer => "INTEGER",
        LiteralKind::Float => "FLOAT",
        LiteralKind::Boolean => "BOOLEAN",
        LiteralKind::Uuid => "UUID",
        LiteralKind::Hex => "HEX",
        LiteralKind::Duration => "DURATION",
    }
}

impl TypeError {
    pub(crate) fn marshal(msg: impl Into<String>) -> Self {
        TypeError::Marshal(msg.into())
    }

    /// The message Cassandra gives when this error concerns the value bound to
    /// `receiver` (a column or bind-marker name), e.g.
    /// `Invalid STRING constant (foo) for "k" of type int`. Errors that do not name a
    /// receiver in Cassandra keep their own text.
    pub fn for_receiver(&self, receiver: &str) -> String {
        match self {
            TypeError::InvalidConstant { kind, text, typ } => format!(
                "Invalid {} constant ({text}) for \"{receiver}\" of type {typ}",
                kind_name(*kind)
            ),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_message_names_the_receiver_like_cassandra() {
        let e = TypeError::InvalidConstant {
            kind: LiteralKind::String,
            text: "foo".into(),
            typ: "int".into(),
        };
        assert_eq!(
            e.for_receiver("k"),
            "Invalid STRING constant (foo) for \"k\" of type int"
        );
        assert_eq!(e.to_string(), "Invalid STRING constant (foo) for type int");
    }
}
