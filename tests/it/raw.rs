//! A raw CQL client for protocol tests: frames encoded by hand from the spec
//! (native_protocol_v4.spec sections 2-4) over a blocking socket, so the tests check the
//! server against the spec rather than against our own codec.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const OP_ERROR: u8 = 0x00;
pub const OP_STARTUP: u8 = 0x01;
pub const OP_READY: u8 = 0x02;
pub const OP_OPTIONS: u8 = 0x05;
pub const OP_SUPPORTED: u8 = 0x06;
pub const OP_QUERY: u8 = 0x07;
pub const OP_RESULT: u8 = 0x08;
pub const OP_REGISTER: u8 = 0x0B;
pub const OP_EVENT: u8 = 0x0C;

/// One response envelope.
#[derive(Debug, Clone)]
pub struct RawFrame {
    pub version_byte: u8,
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    pub body: Vec<u8>,
}

impl RawFrame {
    /// (code, message) of an ERROR body.
    pub fn error(&self) -> (i32, String) {
        assert_eq!(
            self.opcode, OP_ERROR,
            "expected ERROR, got opcode {:#x}",
            self.opcode
        );
        let code = i32::from_be_bytes(self.body[0..4].try_into().unwrap());
        let (msg, _) = read_string(&self.body[4..]);
        (code, msg)
    }

    /// The [string multimap] of SUPPORTED.
    pub fn supported(&self) -> Vec<(String, Vec<String>)> {
        assert_eq!(
            self.opcode, OP_SUPPORTED,
            "expected SUPPORTED, got opcode {:#x}",
            self.opcode
        );
        let mut b = &self.body[..];
        let n = u16::from_be_bytes([b[0], b[1]]);
        b = &b[2..];
        let mut out = Vec::new();
        for _ in 0..n {
            let (k, rest) = read_string(b);
            let m = u16::from_be_bytes([rest[0], rest[1]]);
            b = &rest[2..];
            let mut vals = Vec::new();
            for _ in 0..m {
                let (v, rest) = read_string(b);
                vals.push(v);
                b = rest;
            }
            out.push((k, vals));
        }
        out
    }

    /// The RESULT kind ([int] at the start of the body).
    pub fn result_kind(&self) -> i32 {
        assert_eq!(
            self.opcode,
            OP_RESULT,
            "expected RESULT, got {:?}",
            self.describe()
        );
        i32::from_be_bytes(self.body[0..4].try_into().unwrap())
    }

    /// A short description for assertion messages (error text when it is an ERROR).
    pub fn describe(&self) -> String {
        if self.opcode == OP_ERROR {
            format!("{:?}", self.error())
        } else {
            format!("opcode {:#x}, {} body bytes", self.opcode, self.body.len())
        }
    }
}

/// `[string]` -> (text, rest).
pub fn read_string(b: &[u8]) -> (String, &[u8]) {
    let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
    (
        String::from_utf8(b[2..2 + n].to_vec()).unwrap(),
        &b[2 + n..],
    )
}

pub fn string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

pub fn long_string(s: &str) -> Vec<u8> {
    let mut v = (s.len() as i32).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

pub fn string_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut v = (pairs.len() as u16).to_be_bytes().to_vec();
    for (k, val) in pairs {
        v.extend(string(k));
        v.extend(string(val));
    }
    v
}

/// A QUERY body at consistency ONE with no values (v3/v4: flags byte; v5: [int] flags).
pub fn query_body(version: u8, cql: &str) -> Vec<u8> {
    let mut v = long_string(cql);
    v.extend_from_slice(&1u16.to_be_bytes());
    if version >= 5 {
        v.extend_from_slice(&0u32.to_be_bytes());
    } else {
        v.push(0);
    }
    v
}

/// A whole request envelope.
pub fn envelope(version: u8, flags: u8, stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![version, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.push(opcode);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

pub struct RawConn {
    pub sock: TcpStream,
}

impl RawConn {
    pub fn connect(addr: SocketAddr) -> RawConn {
        let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        sock.set_nodelay(true).unwrap();
        RawConn { sock }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).expect("send");
    }

    pub fn send(&mut self, version: u8, flags: u8, stream: i16, opcode: u8, body: &[u8]) {
        self.send_raw(&envelope(version, flags, stream, opcode, body));
    }

    pub fn read_exact(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut b = vec![0; n];
        self.sock.read_exact(&mut b)?;
        Ok(b)
    }

    /// Reads one unframed response envelope.
    pub fn read_frame(&mut self) -> std::io::Result<RawFrame> {
        let h = self.read_exact(9)?;
        let len = u32::from_be_bytes(h[5..9].try_into().unwrap()) as usize;
        let body = self.read_exact(len)?;
        Ok(RawFrame {
            version_byte: h[0],
            flags: h[1],
            stream: i16::from_be_bytes([h[2], h[3]]),
            opcode: h[4],
            body,
        })
    }

    /// Sends a request and reads the response envelope.
    pub fn request(&mut self, version: u8, stream: i16, opcode: u8, body: &[u8]) -> RawFrame {
        self.send(version, 0, stream, opcode, body);
        let f = self.read_frame().expect("response");
        assert_eq!(
            f.stream,
            stream,
            "response on another stream: {}",
            f.describe()
        );
        f
    }

    /// STARTUP with CQL_VERSION 3.0.0 and an optional compression; returns the answer.
    pub fn startup(&mut self, version: u8, compression: Option<&str>) -> RawFrame {
        let mut opts = vec![("CQL_VERSION", "3.0.0")];
        if let Some(c) = compression {
            opts.push(("COMPRESSION", c));
        }
        self.request(version, 0, OP_STARTUP, &string_map(&opts))
    }

    /// True once the server has closed the connection (EOF within the read timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.sock.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe),
        }
    }
}
