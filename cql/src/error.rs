//! Every error code of the native protocol (native_protocol_v5.spec section 8), the
//! ERROR message body with each code's extra fields, and [`ProtocolError`], the error of
//! every decoder in this crate's protocol modules.
//!
//! The wire encoding of [`ErrorBody`] lives in `response/error.rs`. The server turns its
//! internal failures into an [`ErrorBody`] in one place (`server/src/error.rs`).

use std::fmt;
use std::net::IpAddr;

use bytes::Bytes;
use thiserror::Error;

use crate::wire::Consistency;

/// A malformed message: truncated, out of range, unknown code. The server answers it
/// with a Protocol error (0x000A) carrying this message (see `From<ProtocolError>`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("not enough bytes to read {what}: need {need}, have {have}")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    #[error("invalid UTF-8 in {what}")]
    InvalidUtf8 { what: &'static str },
    #[error("invalid length {len} for {what}")]
    InvalidLength { what: &'static str, len: i64 },
    #[error("unknown consistency level 0x{0:04x}")]
    UnknownConsistency(u16),
    #[error("invalid IP address length {0} (must be 4 or 16)")]
    InvalidInetLength(u8),
    #[error("unknown opcode 0x{0:02x}")]
    UnknownOpcode(u8),
    #[error("unexpected message {opcode} ({direction})")]
    UnexpectedOpcode {
        opcode: &'static str,
        direction: &'static str,
    },
    #[error("unknown batch type {0}")]
    UnknownBatchType(u8),
    #[error("unknown error code 0x{0:04x}")]
    UnknownErrorCode(i32),
    #[error("{0}")]
    Invalid(String),
    /// A CQL type description (`[option]`) that could not be decoded.
    #[error("invalid type in metadata: {0}")]
    InvalidType(String),
}

impl From<ProtocolError> for ErrorBody {
    fn from(e: ProtocolError) -> ErrorBody {
        ErrorBody::protocol(e.to_string())
    }
}

/// The error codes of section 8, by their numeric `[int]` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorCode {
    Server = 0x0000,
    Protocol = 0x000A,
    /// "Authentication error" in the spec.
    BadCredentials = 0x0100,
    Unavailable = 0x1000,
    Overloaded = 0x1001,
    IsBootstrapping = 0x1002,
    Truncate = 0x1003,
    WriteTimeout = 0x1100,
    ReadTimeout = 0x1200,
    ReadFailure = 0x1300,
    FunctionFailure = 0x1400,
    WriteFailure = 0x1500,
    CdcWriteFailure = 0x1600,
    CasWriteUnknown = 0x1700,
    Syntax = 0x2000,
    Unauthorized = 0x2100,
    Invalid = 0x2200,
    Config = 0x2300,
    AlreadyExists = 0x2400,
    Unprepared = 0x2500,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::Server,
        ErrorCode::Protocol,
        ErrorCode::BadCredentials,
        ErrorCode::Unavailable,
        ErrorCode::Overloaded,
        ErrorCode::IsBootstrapping,
        ErrorCode::Truncate,
        ErrorCode::WriteTimeout,
        ErrorCode::ReadTimeout,
        ErrorCode::ReadFailure,
        ErrorCode::FunctionFailure,
        ErrorCode::WriteFailure,
        ErrorCode::CdcWriteFailure,
        ErrorCode::CasWriteUnknown,
        ErrorCode::Syntax,
        ErrorCode::Unauthorized,
        ErrorCode::Invalid,
        ErrorCode::Config,
        ErrorCode::AlreadyExists,
        ErrorCode::Unprepared,
    ];

    pub fn as_i32(self) -> i32 {
        self as i32
    }

    pub fn from_i32(v: i32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_i32() == v)
    }
}

/// The `<writeType>` of Write_timeout and Write_failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteType {
    Simple,
    Batch,
    UnloggedBatch,
    Counter,
    BatchLog,
    Cas,
    View,
    Cdc,
}

impl WriteType {
    pub const ALL: [WriteType; 8] = [
        WriteType::Simple,
        WriteType::Batch,
        WriteType::UnloggedBatch,
        WriteType::Counter,
        WriteType::BatchLog,
        WriteType::Cas,
        WriteType::View,
        WriteType::Cdc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteType::Simple => "SIMPLE",
            WriteType::Batch => "BATCH",
            WriteType::UnloggedBatch => "UNLOGGED_BATCH",
            WriteType::Counter => "COUNTER",
            WriteType::BatchLog => "BATCH_LOG",
            WriteType::Cas => "CAS",
            WriteType::View => "VIEW",
            WriteType::Cdc => "CDC",
        }
    }

    pub fn from_name(s: &str) -> Option<WriteType> {
        WriteType::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

impl fmt::Display for WriteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The failed replicas of Read_failure / Write_failure. v5 sends a reason map
/// (`[inetaddr]` -> `[short]` reason code); v3/v4 only a count. Encoding `ByEndpoint`
/// for v4 sends its length; decoding v4 gives `Count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failures {
    Count(i32),
    ByEndpoint(Vec<(IpAddr, u16)>),
}

impl Failures {
    pub fn count(&self) -> i32 {
        match self {
            Failures::Count(n) => *n,
            Failures::ByEndpoint(v) => i32::try_from(v.len()).unwrap_or(i32::MAX),
        }
    }
}

/// The code-specific fields that follow `<code><message>` in an ERROR body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorExtra {
    None,
    Unavailable {
        cl: Consistency,
        required: i32,
        alive: i32,
    },
    WriteTimeout {
        cl: Consistency,
        received: i32,
        block_for: i32,
        write_type: WriteType,
        /// Sent only on v5 and only when `write_type` is CAS.
        contentions: Option<u16>,
    },
    ReadTimeout {
        cl: Consistency,
        received: i32,
        block_for: i32,
        data_present: bool,
    },
    ReadFailure {
        cl: Consistency,
        received: i32,
        block_for: i32,
        failures: Failures,
        data_present: bool,
    },
    FunctionFailure {
        keyspace: String,
        function: String,
        arg_types: Vec<String>,
    },
    WriteFailure {
        cl: Consistency,
        received: i32,
        block_for: i32,
        failures: Failures,
        write_type: WriteType,
    },
    CasWriteUnknown {
        cl: Consistency,
        received: i32,
        block_for: i32,
    },
    AlreadyExists {
        keyspace: String,
        /// Empty when the keyspace itself already exists.
        table: String,
    },
    Unprepared {
        id: Bytes,
    },
}

/// The body of an ERROR response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    pub extra: ErrorExtra,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} (0x{:04X}): {}",
            self.code,
            self.code.as_i32(),
            self.message
        )
    }
}

impl ErrorBody {
    fn simple(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code,
            message: message.into(),
            extra: ErrorExtra::None,
        }
    }

    pub fn server(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Server, msg)
    }

    pub fn protocol(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Protocol, msg)
    }

    pub fn syntax(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Syntax, msg)
    }

    pub fn invalid(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Invalid, msg)
    }

    pub fn config(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Config, msg)
    }

    pub fn unauthorized(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Unauthorized, msg)
    }

    pub fn bad_credentials(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::BadCredentials, msg)
    }

    pub fn overloaded(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Overloaded, msg)
    }

    pub fn truncate(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::Truncate, msg)
    }

    pub fn is_bootstrapping(msg: impl Into<String>) -> ErrorBody {
        ErrorBody::simple(ErrorCode::IsBootstrapping, msg)
    }

    /// Already_exists; `table` is empty for a keyspace.
    pub fn already_exists(
        keyspace: impl Into<String>,
        table: impl Into<String>,
        msg: impl Into<String>,
    ) -> ErrorBody {
        ErrorBody {
            code: ErrorCode::AlreadyExists,
            message: msg.into(),
            extra: ErrorExtra::AlreadyExists {
                keyspace: keyspace.into(),
                table: table.into(),
            },
        }
    }

    pub fn unprepared(id: Bytes, msg: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code: ErrorCode::Unprepared,
            message: msg.into(),
            extra: ErrorExtra::Unprepared { id },
        }
    }

    /// Unavailable, with Cassandra's message
    /// (`Cannot achieve consistency level QUORUM`).
    pub fn unavailable(cl: Consistency, required: i32, alive: i32) -> ErrorBody {
        ErrorBody {
            code: ErrorCode::Unavailable,
            message: format!("Cannot achieve consistency level {cl}"),
            extra: ErrorExtra::Unavailable {
                cl,
                required,
                alive,
            },
        }
    }

    /// Write_timeout, with Cassandra's message.
    pub fn write_timeout(
        cl: Consistency,
        received: i32,
        block_for: i32,
        write_type: WriteType,
    ) -> ErrorBody {
        ErrorBody {
            code: ErrorCode::WriteTimeout,
            message: format!("Operation timed out - received only {received} responses."),
            extra: ErrorExtra::WriteTimeout {
                cl,
                received,
                block_for,
                write_type,
                contentions: None,
            },
        }
    }

    /// Read_timeout, with Cassandra's message.
    pub fn read_timeout(
        cl: Consistency,
        received: i32,
        block_for: i32,
        data_present: bool,
    ) -> ErrorBody {
        ErrorBody {
            code: ErrorCode::ReadTimeout,
            message: format!("Operation timed out - received only {received} responses."),
            extra: ErrorExtra::ReadTimeout {
                cl,
                received,
                block_for,
                data_present,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins every numeric value against section 8 of the spec.
    #[test]
    fn error_codes_match_the_spec() {
        let table: [(ErrorCode, i32); 20] = [
            (ErrorCode::Server, 0x0000),
            (ErrorCode::Protocol, 0x000A),
            (ErrorCode::BadCredentials, 0x0100),
            (ErrorCode::Unavailable, 0x1000),
            (ErrorCode::Overloaded, 0x1001),
            (ErrorCode::IsBootstrapping, 0x1002),
            (ErrorCode::Truncate, 0x1003),
            (ErrorCode::WriteTimeout, 0x1100),
            (ErrorCode::ReadTimeout, 0x1200),
            (ErrorCode::ReadFailure, 0x1300),
            (ErrorCode::FunctionFailure, 0x1400),
            (ErrorCode::WriteFailure, 0x1500),
            (ErrorCode::CdcWriteFailure, 0x1600),
            (ErrorCode::CasWriteUnknown, 0x1700),
            (ErrorCode::Syntax, 0x2000),
            (ErrorCode::Unauthorized, 0x2100),
            (ErrorCode::Invalid, 0x2200),
            (ErrorCode::Config, 0x2300),
            (ErrorCode::AlreadyExists, 0x2400),
            (ErrorCode::Unprepared, 0x2500),
        ];
        for (code, value) in table {
            assert_eq!(code.as_i32(), value, "{code:?}");
            assert_eq!(ErrorCode::from_i32(value), Some(code));
        }
        assert_eq!(ErrorCode::ALL.len(), table.len());
        assert_eq!(ErrorCode::from_i32(0x0001), None);
    }

    #[test]
    fn constructors_set_code_and_extra() {
        assert_eq!(ErrorBody::syntax("x").code, ErrorCode::Syntax);
        assert_eq!(ErrorBody::invalid("x").code, ErrorCode::Invalid);
        assert_eq!(ErrorBody::config("x").code, ErrorCode::Config);
        assert_eq!(ErrorBody::server("x").code, ErrorCode::Server);
        assert_eq!(ErrorBody::unauthorized("x").code, ErrorCode::Unauthorized);
        assert_eq!(
            ErrorBody::bad_credentials("x").code,
            ErrorCode::BadCredentials
        );
        assert_eq!(ErrorBody::overloaded("x").code, ErrorCode::Overloaded);
        assert_eq!(ErrorBody::truncate("x").code, ErrorCode::Truncate);
        let e = ErrorBody::unavailable(Consistency::LocalQuorum, 2, 1);
        assert_eq!(e.message, "Cannot achieve consistency level LOCAL_QUORUM");
        assert!(matches!(
            e.extra,
            ErrorExtra::Unavailable {
                required: 2,
                alive: 1,
                ..
            }
        ));
        let e = ErrorBody::already_exists("ks", "", "Keyspace ks already exists");
        assert!(matches!(e.extra, ErrorExtra::AlreadyExists { ref table, .. } if table.is_empty()));
    }

    #[test]
    fn protocol_error_becomes_protocol_error_body() {
        let body: ErrorBody = ProtocolError::UnknownConsistency(0x42).into();
        assert_eq!(body.code, ErrorCode::Protocol);
        assert_eq!(body.message, "unknown consistency level 0x0042");
    }

    #[test]
    fn write_types_round_trip_by_name() {
        for w in WriteType::ALL {
            assert_eq!(WriteType::from_name(w.as_str()), Some(w));
        }
        assert_eq!(WriteType::UnloggedBatch.to_string(), "UNLOGGED_BATCH");
    }
}
