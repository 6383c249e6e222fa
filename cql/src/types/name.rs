//! CQL type names: [`CqlType::cql_name`] writes a type exactly as Cassandra does in
//! `system_schema.columns.type` and in DESCRIBE (system-tables.md section 6), and
//! [`CqlType::parse_cql`] reads one back (`varchar` is `text`, names are
//! case-insensitive, UDT names may be quoted).
//!
//! Frozenness: the name is Cassandra's schema form (`CQL3Type.toSchemaString`), which
//! writes `frozen<>` on every non-multi-cell collection, UDT and tuple, nested ones
//! included: `frozen<list<frozen<list<int>>>>`, `list<frozen<set<int>>>`,
//! `frozen<tuple<int, text>>`. Parsing accepts the short form too
//! (`frozen<list<list<int>>>`) and normalizes: a nested collection or UDT is wrapped
//! in [`CqlType::Frozen`], a tuple never is.

use std::sync::Arc;

use super::{CqlType, TypeError, UdtType};

/// Where a type is written, which decides whether `frozen<>` shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A column's own type.
    Top,
    /// An element of a non-frozen collection, a field type, a vector element: frozen
    /// whether wrapped or not, and written with `frozen<>`.
    Nested,
    /// Anything inside a frozen type: frozen implicitly, written without `frozen<>`.
    InFrozen,
}

impl CqlType {
    /// The CQL spelling of this type, as `system_schema.columns.type` holds it.
    pub fn cql_name(&self) -> String {
        let mut s = String::new();
        write_name(self, Ctx::Top, &mut s);
        s
    }

    /// Parses a CQL type name. `resolve_udt` is asked for every name that is not a
    /// native or collection type (with quotes removed, lowercased unless quoted, a
    /// `ks.name` qualifier kept as written) and returns the UDT or `None`.
    pub fn parse_cql(
        s: &str,
        resolve_udt: &dyn Fn(&str) -> Option<Arc<UdtType>>,
    ) -> Result<CqlType, TypeError> {
        let tokens = tokenize(s)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            text: s,
            resolve_udt,
        };
        let t = p.parse_type(Ctx::Top, 0)?;
        if p.pos != p.tokens.len() {
            return Err(p.err("unexpected text after the type"));
        }
        Ok(t)
    }
}

/// `{}` writes the CQL name ([`CqlType::cql_name`]).
impl std::fmt::Display for CqlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.cql_name())
    }
}

/// An identifier (column, field, keyspace, table) as CQL must spell it, as Cassandra's
/// `ColumnIdentifier.maybeQuote`: bare when it is a plain lowercase identifier and not a
/// reserved keyword, otherwise double-quoted with `"` doubled.
pub fn quote_identifier(name: &str) -> String {
    quote_unless(name, crate::parser::is_reserved_keyword(name))
}

/// A user type's name as it must be written: also quoted when it is a native type's
/// name, which would otherwise parse as that type.
fn quote_type_name(name: &str) -> String {
    let shadows = crate::parser::is_reserved_keyword(name) || native_from_name(name).is_some();
    quote_unless(name, shadows)
}

fn quote_unless(name: &str, must_quote: bool) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && !must_quote {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn write_name(t: &CqlType, ctx: Ctx, s: &mut String) {
    let is_frozen_form = matches!(t, CqlType::Frozen(_) | CqlType::Tuple(_))
        || (ctx != Ctx::Top
            && matches!(
                t,
                CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_)
            ));
    // The schema form (Cassandra's `toSchemaString`) spells out every frozen level,
    // nested ones included: drivers read `frozen` from it.
    let show_frozen = is_frozen_form;
    let inner_ctx = if is_frozen_form {
        Ctx::InFrozen
    } else {
        Ctx::Nested
    };
    if show_frozen {
        s.push_str("frozen<");
    }
    match t.unfrozen() {
        CqlType::Custom(c) => {
            s.push('\'');
            s.push_str(c);
            s.push('\'');
        }
        CqlType::List(e) => {
            s.push_str("list<");
            write_name(e, inner_ctx, s);
            s.push('>');
        }
        CqlType::Set(e) => {
            s.push_str("set<");
            write_name(e, inner_ctx, s);
            s.push('>');
        }
        CqlType::Map(k, v) => {
            s.push_str("map<");
            write_name(k, inner_ctx, s);
            s.push_str(", ");
            write_name(v, inner_ctx, s);
            s.push('>');
        }
        CqlType::Tuple(ts) => {
            s.push_str("tuple<");
            for (i, e) in ts.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                // Cassandra writes tuple fields in the tuple's own context.
                write_name(
                    e,
                    if ctx == Ctx::InFrozen {
                        Ctx::InFrozen
                    } else {
                        Ctx::Nested
                    },
                    s,
                );
            }
            s.push('>');
        }
        CqlType::Udt(u) => s.push_str(&quote_type_name(&u.name)),
        CqlType::Vector(e, n) => {
            s.push_str("vector<");
            write_name(
                e,
                if ctx == Ctx::InFrozen {
                    Ctx::InFrozen
                } else {
                    Ctx::Nested
                },
                s,
            );
            s.push_str(&format!(", {n}>"));
        }
        native => s.push_str(native_name(native)),
    }
    if show_frozen {
        s.push('>');
    }
}

/// The CQL name of a native type (empty for non-natives).
pub fn native_name(t: &CqlType) -> &'static str {
    match t {
        CqlType::Ascii => "ascii",
        CqlType::Bigint => "bigint",
        CqlType::Blob => "blob",
        CqlType::Boolean => "boolean",
        CqlType::Counter => "counter",
        CqlType::Decimal => "decimal",
        CqlType::Double => "double",
        CqlType::Float => "float",
        CqlType::Int => "int",
        CqlType::Timestamp => "timestamp",
        CqlType::Uuid => "uuid",
        CqlType::Text => "text",
        CqlType::Varint => "varint",
        CqlType::Timeuuid => "timeuuid",
        CqlType::Inet => "inet",
        CqlType::Date => "date",
        CqlType::Time => "time",
        CqlType::Smallint => "smallint",
        CqlType::Tinyint => "tinyint",
        CqlType::Duration => "duration",
        _ => "",
    }
}

/// A native type by its (lowercase) CQL name; `varchar` is `text`.
pub fn native_from_name(name: &str) -> Option<CqlType> {
    Some(match name {
        "ascii" => CqlType::Ascii,
        "bigint" => CqlType::Bigint,
        "blob" => CqlType::Blob,
        "boolean" => CqlType::Boolean,
        "counter" => CqlType::Counter,
        "decimal" => CqlType::Decimal,
        "double" => CqlType::Double,
        "float" => CqlType::Float,
        "int" => CqlType::Int,
        "timestamp" => CqlType::Timestamp,
        "uuid" => CqlType::Uuid,
        "text" | "varchar" => CqlType::Text,
        "varint" => CqlType::Varint,
        "timeuuid" => CqlType::Timeuuid,
        "inet" => CqlType::Inet,
        "date" => CqlType::Date,
        "time" => CqlType::Time,
        "smallint" => CqlType::Smallint,
        "tinyint" => CqlType::Tinyint,
        "duration" => CqlType::Duration,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An unquoted word, lowercased; may contain dots (`ks.name`).
    Word(String),
    /// A double-quoted identifier, case kept.
    Quoted(String),
    /// A single-quoted string (a custom class name).
    Str(String),
    Sym(char),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, TypeError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '<' || c == '>' || c == ',' {
            out.push(Tok::Sym(c));
            chars.next();
        } else if c == '"' || c == '\'' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next() {
                    None => {
                        return Err(TypeError::Syntax(format!(
                            "Unterminated quote in type '{s}'"
                        )))
                    }
                    Some(q) if q == c => {
                        if chars.peek() == Some(&c) {
                            chars.next();
                            v.push(c);
                        } else {
                            break;
                        }
                    }
                    Some(o) => v.push(o),
                }
            }
            out.push(if c == '"' {
                Tok::Quoted(v)
            } else {
                Tok::Str(v)
            });
        } else if c.is_alphanumeric() || c == '_' || c == '.' {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '.' {
                    w.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w.to_lowercase()));
        } else {
            return Err(TypeError::Syntax(format!(
                "Unexpected character '{c}' in type '{s}'"
            )));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Tok>,
    pos: usize,
    text: &'a str,
    resolve_udt: &'a dyn Fn(&str) -> Option<Arc<UdtType>>,
}

impl Parser<'_> {
    fn err(&self, why: &str) -> TypeError {
        TypeError::Syntax(format!("Invalid type '{}': {why}", self.text))
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, c: char) -> Result<(), TypeError> {
        match self.next() {
            Some(Tok::Sym(x)) if x == c => Ok(()),
            _ => Err(self.err(&format!("expected '{c}'"))),
        }
    }

    fn parse_type(&mut self, ctx: Ctx, depth: usize) -> Result<CqlType, TypeError> {
        if depth > 64 {
            return Err(self.err("nested too deeply"));
        }
        let inner_ctx = if ctx == Ctx::InFrozen {
            Ctx::InFrozen
        } else {
            Ctx::Nested
        };
        let tok = self.next().ok_or_else(|| self.err("missing type"))?;
        let word = match tok {
            Tok::Str(class) => return Ok(CqlType::Custom(class)),
            Tok::Quoted(name) => return self.udt(&name, ctx),
            Tok::Sym(c) => return Err(self.err(&format!("unexpected '{c}'"))),
            Tok::Word(w) => w,
        };
        let is_generic = matches!(self.tokens.get(self.pos), Some(Tok::Sym('<')));
        if !is_generic {
            if let Some(t) = native_from_name(&word) {
                return Ok(t);
            }
            return self.udt(&word, ctx);
        }
        self.expect('<')?;
        let collection_ctx = if ctx == Ctx::InFrozen {
            Ctx::InFrozen
        } else {
            Ctx::Nested
        };
        let t = match word.as_str() {
            "frozen" => {
                let inner = self.parse_type(Ctx::InFrozen, depth + 1)?;
                self.expect('>')?;
                return match inner {
                    CqlType::Tuple(_) | CqlType::Frozen(_) => Ok(inner),
                    CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_) => {
                        Ok(CqlType::Frozen(Box::new(inner)))
                    }
                    _ => Err(self.err(
                        "frozen<> is only allowed on collections, tuples, and user-defined types",
                    )),
                };
            }
            "list" => {
                let e = self.parse_type(collection_ctx, depth + 1)?;
                CqlType::List(Box::new(e))
            }
            "set" => {
                let e = self.parse_type(collection_ctx, depth + 1)?;
                CqlType::Set(Box::new(e))
            }
            "map" => {
                let k = self.parse_type(collection_ctx, depth + 1)?;
                self.expect(',')?;
                let v = self.parse_type(collection_ctx, depth + 1)?;
                CqlType::Map(Box::new(k), Box::new(v))
            }
            "tuple" => {
                let mut ts = vec![self.parse_type(inner_ctx, depth + 1)?];
                while matches!(self.tokens.get(self.pos), Some(Tok::Sym(','))) {
                    self.pos += 1;
                    ts.push(self.parse_type(inner_ctx, depth + 1)?);
                }
                self.expect('>')?;
                return Ok(CqlType::Tuple(ts.into_iter().map(freeze_nested).collect()));
            }
            "vector" => {
                let e = self.parse_type(inner_ctx, depth + 1)?;
                self.expect(',')?;
                let n = match self.next() {
                    Some(Tok::Word(w)) => w.parse::<u32>().ok().filter(|n| *n > 0),
                    _ => None,
                }
                .ok_or_else(|| self.err("vector dimension must be a positive integer"))?;
                self.expect('>')?;
                return Ok(CqlType::Vector(Box::new(freeze_nested(e)), n));
            }
            other => return Err(self.err(&format!("unknown parameterized type '{other}'"))),
        };
        self.expect('>')?;
        // Inside a non-frozen collection, nested collections and UDTs must be frozen
        // explicitly (Cassandra: "Non-frozen collections are not allowed inside
        // collections"); inside a frozen type they are frozen implicitly.
        let t = match t {
            CqlType::List(e) => CqlType::List(Box::new(self.check_nested(*e, ctx)?)),
            CqlType::Set(e) => CqlType::Set(Box::new(self.check_nested(*e, ctx)?)),
            CqlType::Map(k, v) => CqlType::Map(
                Box::new(self.check_nested(*k, ctx)?),
                Box::new(self.check_nested(*v, ctx)?),
            ),
            other => other,
        };
        Ok(t)
    }

    fn check_nested(&self, e: CqlType, ctx: Ctx) -> Result<CqlType, TypeError> {
        let multi = matches!(e, CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..));
        if multi && ctx != Ctx::InFrozen {
            return Err(TypeError::Syntax(format!(
                "Non-frozen collections are not allowed inside collections: {}",
                self.text.trim()
            )));
        }
        if matches!(e, CqlType::Udt(_)) && ctx != Ctx::InFrozen {
            return Err(TypeError::Syntax(format!(
                "Non-frozen UDTs are not allowed inside collections: {}",
                self.text.trim()
            )));
        }
        Ok(freeze_nested(e))
    }

    fn udt(&self, name: &str, _ctx: Ctx) -> Result<CqlType, TypeError> {
        match (self.resolve_udt)(name) {
            Some(u) => Ok(CqlType::Udt(u)),
            None => Err(TypeError::Syntax(format!("Unknown type {name}"))),
        }
    }
}

/// Wraps a nested collection or UDT in `Frozen` (nested ones are frozen in effect).
fn freeze_nested(t: CqlType) -> CqlType {
    match t {
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_) => {
            CqlType::Frozen(Box::new(t))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> Arc<UdtType> {
        Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "address".into(),
            fields: vec![("street".into(), CqlType::Text)],
        })
    }

    fn resolve(name: &str) -> Option<Arc<UdtType>> {
        (name == "address").then(address)
    }

    fn parse(s: &str) -> Result<CqlType, TypeError> {
        CqlType::parse_cql(s, &resolve)
    }

    #[test]
    fn names_are_written_like_cassandra() {
        let cases = [
            "text",
            "map<text, int>",
            "frozen<list<int>>",
            "frozen<tuple<int, text>>",
            "vector<float, 3>",
            "address",
            "frozen<address>",
            "list<frozen<list<int>>>",
            "frozen<list<frozen<list<int>>>>",
            "map<int, frozen<address>>",
            "frozen<map<text, frozen<tuple<int, text>>>>",
            "set<frozen<tuple<int, frozen<list<text>>>>>",
        ];
        for c in cases {
            let t = parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(t.cql_name(), c, "{c}");
        }
    }

    #[test]
    fn parsing_is_lenient_like_cassandra() {
        assert_eq!(
            parse("frozen<list<list<int>>>").map(|t| t.cql_name()),
            Ok("frozen<list<frozen<list<int>>>>".to_string())
        );
        assert_eq!(parse("VARCHAR"), Ok(CqlType::Text));
        assert_eq!(
            parse(" Map < Text ,Int > "),
            Ok(CqlType::Map(
                Box::new(CqlType::Text),
                Box::new(CqlType::Int)
            ))
        );
        assert_eq!(parse("\"address\""), Ok(CqlType::Udt(address())));
        assert!(parse("\"Address\"").is_err());
        assert_eq!(
            parse("'org.example.Foo'"),
            Ok(CqlType::Custom("org.example.Foo".into()))
        );
        assert_eq!(
            CqlType::Custom("org.example.Foo".into()).cql_name(),
            "'org.example.Foo'"
        );
        assert_eq!(parse("tuple<int,text>"), parse("frozen<tuple<int, text>>"));
    }

    #[test]
    fn invalid_types_are_rejected_with_cassandras_reason() {
        let e = parse("list<list<int>>").expect_err("nested non-frozen");
        assert_eq!(
            e.to_string(),
            "Non-frozen collections are not allowed inside collections: list<list<int>>"
        );
        assert!(parse("frozen<int>").is_err());
        assert!(parse("map<int>").is_err());
        assert!(parse("vector<float, 0>").is_err());
        assert!(parse("list<int").is_err());
        assert!(parse("int int").is_err());
        assert!(parse("nosuchtype").is_err());
    }

    #[test]
    fn quoted_udt_names_are_written_quoted() {
        let u = Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "MyType".into(),
            fields: vec![],
        });
        assert_eq!(
            CqlType::Frozen(Box::new(CqlType::Udt(u))).cql_name(),
            "frozen<\"MyType\">"
        );
    }

    #[test]
    fn identifiers_are_quoted_like_cassandra_maybe_quote() {
        assert_eq!(quote_identifier("abc_1"), "abc_1");
        assert_eq!(quote_identifier("view"), "\"view\"");
        assert_eq!(quote_identifier("Select"), "\"Select\"");
        // A column may be called `text`; only a user type of that name needs quotes.
        assert_eq!(quote_identifier("text"), "text");
        let u = Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "text".into(),
            fields: vec![],
        });
        assert_eq!(CqlType::Udt(u).cql_name(), "\"text\"");
    }
}
