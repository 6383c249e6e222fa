//! Terms and relations back to CQL text, as Cassandra's `toCQLString` writes them
//! (`c = 1`, `k IS NOT NULL`, `(a, b) > (1, 2)`): what `system_schema.views`
//! shows as a view's `where_clause`, and what the server parses again to apply it.

use std::fmt::{self, Display, Formatter, Write};

use super::*;
use crate::types::quote_identifier;

fn list<T: Display>(f: &mut Formatter<'_>, items: &[T], open: &str, close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{it}")?;
    }
    f.write_str(close)
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operator::Eq => "=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::Neq => "!=",
            Operator::Contains => "CONTAINS",
            Operator::ContainsKey => "CONTAINS KEY",
            Operator::Like => "LIKE",
            Operator::NotContains => "NOT CONTAINS",
            Operator::NotContainsKey => "NOT CONTAINS KEY",
        })
    }
}

impl Display for BindMarker {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, ":{}", quote_identifier(n)),
            None => f.write_char('?'),
        }
    }
}

impl Display for ArithmeticOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char(match self {
            ArithmeticOp::Add => '+',
            ArithmeticOp::Sub => '-',
            ArithmeticOp::Mul => '*',
            ArithmeticOp::Div => '/',
            ArithmeticOp::Rem => '%',
        })
    }
}

impl Display for RawType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            RawType::Native(t) => f.write_str(&t.cql_name()),
            RawType::List(e) => write!(f, "list<{e}>"),
            RawType::Set(e) => write!(f, "set<{e}>"),
            RawType::Map(k, v) => write!(f, "map<{k}, {v}>"),
            RawType::Tuple(ts) => list(f, ts, "tuple<", ">"),
            RawType::Frozen(e) => write!(f, "frozen<{e}>"),
            RawType::Vector(e, n) => write!(f, "vector<{e}, {n}>"),
            RawType::UserDefined(n) => write!(f, "{n}"),
        }
    }
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Term::Literal(l) if l.kind == LiteralKind::String => {
                write!(f, "'{}'", l.text.replace('\'', "''"))
            }
            Term::Literal(l) => f.write_str(&l.text),
            Term::Null => f.write_str("null"),
            Term::BindMarker(m) => write!(f, "{m}"),
            Term::List(v) => list(f, v, "[", "]"),
            Term::Set(v) => list(f, v, "{", "}"),
            Term::Tuple(v) => list(f, v, "(", ")"),
            Term::Map(v) => {
                let entries: Vec<String> = v.iter().map(|(k, t)| format!("{k}: {t}")).collect();
                list(f, &entries, "{", "}")
            }
            Term::Udt(v) => {
                let fields: Vec<String> = v
                    .iter()
                    .map(|(n, t)| format!("{}: {t}", quote_identifier(n)))
                    .collect();
                list(f, &fields, "{", "}")
            }
            Term::FunctionCall { name, args } => {
                write!(f, "{name}")?;
                list(f, args, "(", ")")
            }
            Term::TypeHint { typ, term } => write!(f, "({typ}) {term}"),
            Term::Arithmetic { op, left, right } => write!(f, "{left} {op} {right}"),
            Term::Negation(t) => write!(f, "-{t}"),
        }
    }
}

impl Display for InValues {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            InValues::List(v) => list(f, v, "(", ")"),
            InValues::Marker(m) => write!(f, "{m}"),
        }
    }
}

fn columns(f: &mut Formatter<'_>, cols: &[String]) -> fmt::Result {
    let quoted: Vec<String> = cols.iter().map(|c| quote_identifier(c)).collect();
    list(f, &quoted, "(", ")")
}

impl Display for Relation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Relation::Simple { column, op, value } => {
                write!(f, "{} {op} {value}", quote_identifier(column))
            }
            Relation::In { column, values } => {
                write!(f, "{} IN {values}", quote_identifier(column))
            }
            Relation::NotIn { column, values } => {
                write!(f, "{} NOT IN {values}", quote_identifier(column))
            }
            Relation::IsNotNull { column } => {
                write!(f, "{} IS NOT NULL", quote_identifier(column))
            }
            Relation::MapElement {
                column,
                key,
                op,
                value,
            } => write!(f, "{}[{key}] {op} {value}", quote_identifier(column)),
            Relation::MultiColumn {
                columns: c,
                op,
                value,
            } => {
                columns(f, c)?;
                write!(f, " {op} {value}")
            }
            Relation::MultiColumnIn { columns: c, values } => {
                columns(f, c)?;
                write!(f, " IN {values}")
            }
            Relation::Token {
                columns: c,
                op,
                value,
            } => {
                f.write_str("token")?;
                columns(f, c)?;
                write!(f, " {op} {value}")
            }
        }
    }
}
