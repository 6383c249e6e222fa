//! Type options on the wire (native protocol v4 section 4.2.5.2, v5 section 4.2.5.2)
//! and Cassandra's marshal class names (`org.apache.cassandra.db.marshal.Int32Type`).
//!
//! Frozenness does not show on the wire: a frozen list is option 0x0020 like any list.
//! `vector<float, 3>` travels as the custom type
//! `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)`.

use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{CqlType, TypeError, UdtType};

/// The package of Cassandra's marshal classes.
pub const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

/// Deeper nesting than this in an option or class name is rejected: it protects the
/// decoder's stack from hostile input, and no real schema comes close.
const MAX_DEPTH: usize = 64;

impl CqlType {
    /// Writes this type as an `[option]` (id `[short]`, then the id's value).
    pub fn encode_option(&self, out: &mut BytesMut) {
        match self {
            CqlType::Custom(class) => {
                out.put_u16(0x0000);
                put_string(out, class);
            }
            CqlType::Vector(_, _) => {
                out.put_u16(0x0000);
                put_string(out, &self.java_class());
            }
            CqlType::List(e) => {
                out.put_u16(0x0020);
                e.encode_option(out);
            }
            CqlType::Map(k, v) => {
                out.put_u16(0x0021);
                k.encode_option(out);
                v.encode_option(out);
            }
            CqlType::Set(e) => {
                out.put_u16(0x0022);
                e.encode_option(out);
            }
            CqlType::Udt(udt) => {
                out.put_u16(0x0030);
                put_string(out, &udt.keyspace);
                put_string(out, &udt.name);
                out.put_u16(udt.fields.len() as u16);
                for (name, typ) in &udt.fields {
                    put_string(out, name);
                    typ.encode_option(out);
                }
            }
            CqlType::Tuple(types) => {
                out.put_u16(0x0031);
                out.put_u16(types.len() as u16);
                for t in types {
                    t.encode_option(out);
                }
            }
            CqlType::Frozen(inner) => inner.encode_option(out),
            native => out.put_u16(native_id(native).unwrap_or(0)),
        }
    }

    /// Reads an `[option]` type. Unknown ids and truncated input are errors; a custom
    /// class that names a vector becomes [`CqlType::Vector`], any other custom class
    /// stays [`CqlType::Custom`].
    pub fn decode_option(buf: &mut Bytes) -> Result<CqlType, TypeError> {
        decode_option_at(buf, 0)
    }

    /// The native type of an option id (0x0001..=0x0015), if it is one.
    pub fn from_native_id(id: u16) -> Option<CqlType> {
        Some(match id {
            0x0001 => CqlType::Ascii,
            0x0002 => CqlType::Bigint,
            0x0003 => CqlType::Blob,
            0x0004 => CqlType::Boolean,
            0x0005 => CqlType::Counter,
            0x0006 => CqlType::Decimal,
            0x0007 => CqlType::Double,
            0x0008 => CqlType::Float,
            0x0009 => CqlType::Int,
            // 0x000A was `text`, removed in v3; Cassandra still reads it as varchar.
            0x000A | 0x000D => CqlType::Text,
            0x000B => CqlType::Timestamp,
            0x000C => CqlType::Uuid,
            0x000E => CqlType::Varint,
            0x000F => CqlType::Timeuuid,
            0x0010 => CqlType::Inet,
            0x0011 => CqlType::Date,
            0x0012 => CqlType::Time,
            0x0013 => CqlType::Smallint,
            0x0014 => CqlType::Tinyint,
            0x0015 => CqlType::Duration,
            _ => return None,
        })
    }

    /// Cassandra's marshal class for this type, e.g.
    /// `org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.Int32Type)`.
    /// Frozen collections and UDTs are wrapped in `FrozenType(...)` as Cassandra does.
    pub fn java_class(&self) -> String {
        let simple = |n: &str| format!("{MARSHAL}{n}");
        match self {
            CqlType::Custom(c) => c.clone(),
            CqlType::Ascii => simple("AsciiType"),
            CqlType::Bigint => simple("LongType"),
            CqlType::Blob => simple("BytesType"),
            CqlType::Boolean => simple("BooleanType"),
            CqlType::Counter => simple("CounterColumnType"),
            CqlType::Decimal => simple("DecimalType"),
            CqlType::Double => simple("DoubleType"),
            CqlType::Float => simple("FloatType"),
            CqlType::Int => simple("Int32Type"),
            CqlType::Timestamp => simple("TimestampType"),
            CqlType::Uuid => simple("UUIDType"),
            CqlType::Text => simple("UTF8Type"),
            CqlType::Varint => simple("IntegerType"),
            CqlType::Timeuuid => simple("TimeUUIDType"),
            CqlType::Inet => simple("InetAddressType"),
            CqlType::Date => simple("SimpleDateType"),
            CqlType::Time => simple("TimeType"),
            CqlType::Smallint => simple("ShortType"),
            CqlType::Tinyint => simple("ByteType"),
            CqlType::Duration => simple("DurationType"),
            CqlType::List(e) => format!("{MARSHAL}ListType({})", e.java_class()),
            CqlType::Set(e) => format!("{MARSHAL}SetType({})", e.java_class()),
            CqlType::Map(k, v) => {
                format!("{MARSHAL}MapType({},{})", k.java_class(), v.java_class())
            }
            CqlType::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.java_class()).collect();
                format!("{MARSHAL}TupleType({})", inner.join(","))
            }
            CqlType::Udt(u) => {
                let mut s = format!("{MARSHAL}UserType({},{}", u.keyspace, hex(&u.name));
                for (name, t) in &u.fields {
                    s.push_str(&format!(",{}:{}", hex(name), t.java_class()));
                }
                s.push(')');
                s
            }
            CqlType::Vector(e, n) => format!("{MARSHAL}VectorType({},{n})", e.java_class()),
            CqlType::Frozen(inner) => format!("{MARSHAL}FrozenType({})", inner.java_class()),
        }
    }

    /// Parses a marshal class name (as [`CqlType::java_class`] writes it, or a short
    /// name such as `Int32Type`). Unknown classes become [`CqlType::Custom`].
    pub fn from_java_class(class: &str) -> Result<CqlType, TypeError> {
        let mut p = ClassParser {
            s: class.as_bytes(),
            pos: 0,
        };
        let t = p.parse(0)?;
        if p.pos != p.s.len() {
            return Err(TypeError::Syntax(format!(
                "Invalid marshal class name '{class}'"
            )));
        }
        Ok(t)
    }
}

fn native_id(t: &CqlType) -> Option<u16> {
    // 0x000A (the old `text`) is skipped: Cassandra writes text as 0x000D varchar.
    (0x0001..=0x0015)
        .filter(|id| *id != 0x000A)
        .find(|id| CqlType::from_native_id(*id).as_ref() == Some(t))
}

fn put_string(out: &mut BytesMut, s: &str) {
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

fn truncated() -> TypeError {
    TypeError::Syntax("Not enough bytes to read a type option".into())
}

fn get_u16(buf: &mut Bytes) -> Result<u16, TypeError> {
    if buf.remaining() < 2 {
        return Err(truncated());
    }
    Ok(buf.get_u16())
}

fn get_string(buf: &mut Bytes) -> Result<String, TypeError> {
    let len = get_u16(buf)? as usize;
    if buf.remaining() < len {
        return Err(truncated());
    }
    let raw = buf.split_to(len);
    String::from_utf8(raw.to_vec())
        .map_err(|_| TypeError::Syntax("Invalid UTF-8 in a type option string".into()))
}

fn decode_option_at(buf: &mut Bytes, depth: usize) -> Result<CqlType, TypeError> {
    if depth > MAX_DEPTH {
        return Err(TypeError::Syntax("Type option nested too deeply".into()));
    }
    let id = get_u16(buf)?;
    let sub = |buf: &mut Bytes| decode_option_at(buf, depth + 1);
    Ok(match id {
        0x0000 => {
            let class = get_string(buf)?;
            if class.starts_with(&format!("{MARSHAL}VectorType(")) {
                CqlType::from_java_class(&class)?
            } else {
                CqlType::Custom(class)
            }
        }
        0x0020 => CqlType::List(Box::new(sub(buf)?)),
        0x0021 => {
            let k = sub(buf)?;
            CqlType::Map(Box::new(k), Box::new(sub(buf)?))
        }
        0x0022 => CqlType::Set(Box::new(sub(buf)?)),
        0x0030 => {
            let keyspace = get_string(buf)?;
            let name = get_string(buf)?;
            let n = get_u16(buf)?;
            let mut fields = Vec::with_capacity(usize::from(n).min(buf.remaining() / 4));
            for _ in 0..n {
                let f = get_string(buf)?;
                fields.push((f, sub(buf)?));
            }
            CqlType::Udt(Arc::new(UdtType {
                keyspace,
                name,
                fields,
            }))
        }
        0x0031 => {
            let n = get_u16(buf)?;
            let mut types = Vec::with_capacity(usize::from(n).min(buf.remaining() / 2));
            for _ in 0..n {
                types.push(sub(buf)?);
            }
            CqlType::Tuple(types)
        }
        other => CqlType::from_native_id(other).ok_or_else(|| {
            TypeError::Unsupported(format!("Unknown type option id 0x{other:04x}"))
        })?,
    })
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if s.len() & 1 == 1 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A recursive-descent reader of marshal class expressions:
/// `Name`, `pkg.Name`, `Name(arg,arg,...)`; UserType args are `ks,hexname,hexfield:Type`.
struct ClassParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl ClassParser<'_> {
    fn err(&self) -> TypeError {
        TypeError::Syntax(format!(
            "Invalid marshal class name '{}' at {}",
            String::from_utf8_lossy(self.s),
            self.pos
        ))
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.s.get(self.pos) {
            if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$' | b'-') {
                self.pos += 1;
            } else {
                break;
            }
        }
        std::str::from_utf8(self.s.get(start..self.pos).unwrap_or_default()).unwrap_or("")
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn args(&mut self, depth: usize) -> Result<Vec<CqlType>, TypeError> {
        let mut out = Vec::new();
        if !self.eat(b'(') {
            return Err(self.err());
        }
        if self.eat(b')') {
            return Ok(out);
        }
        loop {
            out.push(self.parse(depth + 1)?);
            if self.eat(b')') {
                return Ok(out);
            }
            if !self.eat(b',') {
                return Err(self.err());
            }
        }
    }

    fn parse(&mut self, depth: usize) -> Result<CqlType, TypeError> {
        if depth > MAX_DEPTH {
            return Err(self.err());
        }
        let start = self.pos;
        let word = self.word().to_string();
        let short = word.rsplit('.').next().unwrap_or("");
        let one = |mut v: Vec<CqlType>, p: &Self| -> Result<Box<CqlType>, TypeError> {
            match (v.pop(), v.is_empty()) {
                (Some(t), true) => Ok(Box::new(t)),
                _ => Err(p.err()),
            }
        };
        let t = match short {
            "AsciiType" => CqlType::Ascii,
            "LongType" => CqlType::Bigint,
            "BytesType" => CqlType::Blob,
            "BooleanType" => CqlType::Boolean,
            "CounterColumnType" => CqlType::Counter,
            "DecimalType" => CqlType::Decimal,
            "DoubleType" => CqlType::Double,
            "FloatType" => CqlType::Float,
            "Int32Type" => CqlType::Int,
            "TimestampType" | "DateType" => CqlType::Timestamp,
            "UUIDType" => CqlType::Uuid,
            "UTF8Type" => CqlType::Text,
            "IntegerType" => CqlType::Varint,
            "TimeUUIDType" => CqlType::Timeuuid,
            "InetAddressType" => CqlType::Inet,
            "SimpleDateType" => CqlType::Date,
            "TimeType" => CqlType::Time,
            "ShortType" => CqlType::Smallint,
            "ByteType" => CqlType::Tinyint,
            "DurationType" => CqlType::Duration,
            "ListType" => CqlType::List(one(self.args(depth)?, self)?),
            "SetType" => CqlType::Set(one(self.args(depth)?, self)?),
            "FrozenType" => CqlType::Frozen(one(self.args(depth)?, self)?),
            "ReversedType" => *one(self.args(depth)?, self)?,
            "MapType" => {
                let mut a = self.args(depth)?.into_iter();
                match (a.next(), a.next(), a.next()) {
                    (Some(k), Some(v), None) => CqlType::Map(Box::new(k), Box::new(v)),
                    _ => return Err(self.err()),
                }
            }
            "TupleType" => CqlType::Tuple(self.args(depth)?),
            "VectorType" => {
                if !self.eat(b'(') {
                    return Err(self.err());
                }
                let elem = self.parse(depth + 1)?;
                if !self.eat(b',') {
                    return Err(self.err());
                }
                let n: u32 = self.word().parse().map_err(|_| self.err())?;
                if !self.eat(b')') || n == 0 {
                    return Err(self.err());
                }
                CqlType::Vector(Box::new(elem), n)
            }
            "UserType" => self.user_type(depth)?,
            "" => return Err(self.err()),
            _ => {
                // Unknown class: keep its whole text, parameters included.
                if self.s.get(self.pos) == Some(&b'(') {
                    self.args(depth)?;
                }
                let text = String::from_utf8_lossy(self.s.get(start..self.pos).unwrap_or_default());
                CqlType::Custom(text.into_owned())
            }
        };
        Ok(t)
    }

    fn user_type(&mut self, depth: usize) -> Result<CqlType, TypeError> {
        if !self.eat(b'(') {
            return Err(self.err());
        }
        let keyspace = self.word().to_string();
        if !self.eat(b',') {
            return Err(self.err());
        }
        let name = unhex(self.word()).ok_or_else(|| self.err())?;
        let mut fields = Vec::new();
        while self.eat(b',') {
            let f = unhex(self.word()).ok_or_else(|| self.err())?;
            if !self.eat(b':') {
                return Err(self.err());
            }
            fields.push((f, self.parse(depth + 1)?));
        }
        if !self.eat(b')') {
            return Err(self.err());
        }
        Ok(CqlType::Udt(Arc::new(UdtType {
            keyspace,
            name,
            fields,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(t: &CqlType) -> CqlType {
        let mut out = BytesMut::new();
        t.encode_option(&mut out);
        let mut b = out.freeze();
        let back = CqlType::decode_option(&mut b).expect("decodes");
        assert!(b.is_empty(), "option fully consumed");
        back
    }

    #[test]
    fn natives_have_the_spec_ids() {
        let mut out = BytesMut::new();
        CqlType::Int.encode_option(&mut out);
        CqlType::Text.encode_option(&mut out);
        CqlType::Duration.encode_option(&mut out);
        assert_eq!(&out[..], &[0, 9, 0, 0x0d, 0, 0x15]);
        for id in 1..=0x15u16 {
            if id == 0x000A {
                continue;
            }
            let t = CqlType::from_native_id(id).expect("native");
            assert_eq!(round_trip(&t), t);
        }
    }

    #[test]
    fn collections_udts_tuples_round_trip_and_frozen_is_invisible() {
        let udt = CqlType::Udt(Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "address".into(),
            fields: vec![
                ("street".into(), CqlType::Text),
                ("zip".into(), CqlType::Int),
            ],
        }));
        let t = CqlType::Map(
            Box::new(CqlType::Text),
            Box::new(CqlType::Tuple(vec![CqlType::Int, udt.clone()])),
        );
        assert_eq!(round_trip(&t), t);
        let frozen = CqlType::Frozen(Box::new(CqlType::List(Box::new(CqlType::Int))));
        assert_eq!(round_trip(&frozen), CqlType::List(Box::new(CqlType::Int)));
        let mut out = BytesMut::new();
        CqlType::Set(Box::new(CqlType::Uuid)).encode_option(&mut out);
        assert_eq!(&out[..], &[0, 0x22, 0, 0x0c]);
    }

    #[test]
    fn vector_goes_as_custom_class() {
        let v = CqlType::Vector(Box::new(CqlType::Float), 3);
        assert_eq!(
            v.java_class(),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)"
        );
        let mut out = BytesMut::new();
        v.encode_option(&mut out);
        assert_eq!(&out[..2], &[0, 0]);
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn java_class_round_trips_through_the_class_parser() {
        let udt = CqlType::Udt(Arc::new(UdtType {
            keyspace: "ks".into(),
            name: "address".into(),
            fields: vec![("street".into(), CqlType::Text)],
        }));
        for t in [
            CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int)),
            CqlType::Frozen(Box::new(CqlType::List(Box::new(udt.clone())))),
            CqlType::Tuple(vec![
                CqlType::Int,
                CqlType::Vector(Box::new(CqlType::Text), 2),
            ]),
            udt,
        ] {
            assert_eq!(CqlType::from_java_class(&t.java_class()), Ok(t));
        }
        assert_eq!(
            CqlType::from_java_class("com.example.Mine"),
            Ok(CqlType::Custom("com.example.Mine".into()))
        );
    }

    #[test]
    fn bad_options_are_errors() {
        let mut b = Bytes::from_static(&[0x00]);
        assert!(CqlType::decode_option(&mut b).is_err());
        let mut b = Bytes::from_static(&[0x00, 0x17]);
        assert!(matches!(
            CqlType::decode_option(&mut b),
            Err(TypeError::Unsupported(_))
        ));
        let deep: Vec<u8> = std::iter::repeat_n([0x00, 0x20], 1000).flatten().collect();
        let mut b = Bytes::from(deep);
        assert!(CqlType::decode_option(&mut b).is_err());
    }
}
