//! The ERROR body on the wire (v5 spec section 8): `<code: [int]><message: [string]>`
//! and the code's extra fields. The types are in `crate::error`.
//!
//! Version differences: Read_failure / Write_failure carry a reason map on v5 and a
//! count before; Write_timeout carries `<contentions>` on v5 when the write type is CAS.

use bytes::{Bytes, BytesMut};

use crate::error::{ErrorBody, ErrorCode, ErrorExtra, Failures, ProtocolError, WriteType};
use crate::frame::ProtocolVersion;
use crate::wire::{self, Consistency};

fn write_failures(out: &mut BytesMut, version: ProtocolVersion, failures: &Failures) {
    if !version.is_v5() {
        wire::write_int(out, failures.count());
        return;
    }
    match failures {
        Failures::ByEndpoint(list) => {
            wire::write_int(out, list.len() as i32);
            for (addr, reason) in list {
                wire::write_inetaddr(out, addr);
                wire::write_short(out, *reason);
            }
        }
        // Only a count is known: report that many unknown endpoints with reason 0
        // (UNKNOWN), so the map size still tells the client how many failed.
        Failures::Count(n) => {
            let n = (*n).max(0);
            wire::write_int(out, n);
            let unknown = std::net::IpAddr::from([0u8, 0, 0, 0]);
            for _ in 0..n {
                wire::write_inetaddr(out, &unknown);
                wire::write_short(out, 0);
            }
        }
    }
}

fn read_failures(buf: &mut Bytes, version: ProtocolVersion) -> Result<Failures, ProtocolError> {
    let n = wire::read_int(buf)?;
    if !version.is_v5() {
        return Ok(Failures::Count(n));
    }
    let n = usize::try_from(n).map_err(|_| ProtocolError::InvalidLength {
        what: "failure reason map",
        len: i64::from(n),
    })?;
    let mut list = Vec::with_capacity(n.min(buf.len() / 7));
    for _ in 0..n {
        let addr = wire::read_inetaddr(buf)?;
        list.push((addr, wire::read_short(buf)?));
    }
    Ok(Failures::ByEndpoint(list))
}

fn write_write_type(out: &mut BytesMut, w: WriteType) {
    wire::write_string(out, w.as_str());
}

fn read_write_type(buf: &mut Bytes) -> Result<WriteType, ProtocolError> {
    let s = wire::read_string(buf)?;
    WriteType::from_name(&s)
        .ok_or_else(|| ProtocolError::Invalid(format!("unknown write type {s}")))
}

fn write_counts(out: &mut BytesMut, cl: Consistency, received: i32, block_for: i32) {
    wire::write_consistency(out, cl);
    wire::write_int(out, received);
    wire::write_int(out, block_for);
}

/// What an older client understands in place of an error its version lacks, as
/// Cassandra's `ErrorMessage` codec does: CAS_WRITE_UNKNOWN (v5) becomes a CAS
/// Write_timeout before v5; Read_failure, Write_failure (v4) become the timeouts on v3
/// and Function_failure an Invalid request.
pub fn downgrade_for(body: &ErrorBody, version: ProtocolVersion) -> Option<ErrorBody> {
    let message = body.message.clone();
    let extra = match (&body.extra, version) {
        (
            ErrorExtra::CasWriteUnknown {
                cl,
                received,
                block_for,
            },
            v,
        ) if !v.is_v5() => ErrorExtra::WriteTimeout {
            cl: *cl,
            received: *received,
            block_for: *block_for,
            write_type: WriteType::Cas,
            contentions: None,
        },
        (
            ErrorExtra::ReadFailure {
                cl,
                received,
                block_for,
                data_present,
                ..
            },
            ProtocolVersion::V3,
        ) => ErrorExtra::ReadTimeout {
            cl: *cl,
            received: *received,
            block_for: *block_for,
            data_present: *data_present,
        },
        (
            ErrorExtra::WriteFailure {
                cl,
                received,
                block_for,
                write_type,
                ..
            },
            ProtocolVersion::V3,
        ) => ErrorExtra::WriteTimeout {
            cl: *cl,
            received: *received,
            block_for: *block_for,
            write_type: *write_type,
            contentions: None,
        },
        (ErrorExtra::FunctionFailure { .. }, ProtocolVersion::V3) => {
            return Some(ErrorBody::invalid(message));
        }
        _ => return None,
    };
    let code = match extra {
        ErrorExtra::ReadTimeout { .. } => ErrorCode::ReadTimeout,
        _ => ErrorCode::WriteTimeout,
    };
    Some(ErrorBody {
        code,
        message,
        extra,
    })
}

/// Appends the ERROR body, downgraded for older versions (see [`downgrade_for`]).
/// The extra fields written are those of `body.extra`; the `ErrorBody` constructors
/// keep code and extra consistent.
pub fn encode_error(body: &ErrorBody, version: ProtocolVersion, out: &mut BytesMut) {
    if let Some(older) = downgrade_for(body, version) {
        return encode_error(&older, version, out);
    }
    wire::write_int(out, body.code.as_i32());
    wire::write_string(out, &body.message);
    match &body.extra {
        ErrorExtra::None => {}
        ErrorExtra::Unavailable {
            cl,
            required,
            alive,
        } => {
            write_counts(out, *cl, *required, *alive);
        }
        ErrorExtra::WriteTimeout {
            cl,
            received,
            block_for,
            write_type,
            contentions,
        } => {
            write_counts(out, *cl, *received, *block_for);
            write_write_type(out, *write_type);
            if version.is_v5() && *write_type == WriteType::Cas {
                wire::write_short(out, contentions.unwrap_or(0));
            }
        }
        ErrorExtra::ReadTimeout {
            cl,
            received,
            block_for,
            data_present,
        } => {
            write_counts(out, *cl, *received, *block_for);
            wire::write_byte(out, u8::from(*data_present));
        }
        ErrorExtra::ReadFailure {
            cl,
            received,
            block_for,
            failures,
            data_present,
        } => {
            write_counts(out, *cl, *received, *block_for);
            write_failures(out, version, failures);
            wire::write_byte(out, u8::from(*data_present));
        }
        ErrorExtra::FunctionFailure {
            keyspace,
            function,
            arg_types,
        } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, function);
            wire::write_string_list(out, arg_types);
        }
        ErrorExtra::WriteFailure {
            cl,
            received,
            block_for,
            failures,
            write_type,
        } => {
            write_counts(out, *cl, *received, *block_for);
            write_failures(out, version, failures);
            write_write_type(out, *write_type);
        }
        ErrorExtra::CasWriteUnknown {
            cl,
            received,
            block_for,
        } => {
            write_counts(out, *cl, *received, *block_for);
        }
        ErrorExtra::AlreadyExists { keyspace, table } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, table);
        }
        ErrorExtra::Unprepared { id } => wire::write_short_bytes(out, id),
    }
}

/// Reads an ERROR body (clients, tools, tests).
pub fn decode_error(buf: &mut Bytes, version: ProtocolVersion) -> Result<ErrorBody, ProtocolError> {
    let raw = wire::read_int(buf)?;
    let code = ErrorCode::from_i32(raw).ok_or(ProtocolError::UnknownErrorCode(raw))?;
    let message = wire::read_string(buf)?;
    let extra = match code {
        ErrorCode::Unavailable => ErrorExtra::Unavailable {
            cl: wire::read_consistency(buf)?,
            required: wire::read_int(buf)?,
            alive: wire::read_int(buf)?,
        },
        ErrorCode::WriteTimeout => {
            let cl = wire::read_consistency(buf)?;
            let received = wire::read_int(buf)?;
            let block_for = wire::read_int(buf)?;
            let write_type = read_write_type(buf)?;
            let contentions = (version.is_v5() && write_type == WriteType::Cas)
                .then(|| wire::read_short(buf))
                .transpose()?;
            ErrorExtra::WriteTimeout {
                cl,
                received,
                block_for,
                write_type,
                contentions,
            }
        }
        ErrorCode::ReadTimeout => ErrorExtra::ReadTimeout {
            cl: wire::read_consistency(buf)?,
            received: wire::read_int(buf)?,
            block_for: wire::read_int(buf)?,
            data_present: wire::read_byte(buf)? != 0,
        },
        ErrorCode::ReadFailure => ErrorExtra::ReadFailure {
            cl: wire::read_consistency(buf)?,
            received: wire::read_int(buf)?,
            block_for: wire::read_int(buf)?,
            failures: read_failures(buf, version)?,
            data_present: wire::read_byte(buf)? != 0,
        },
        ErrorCode::FunctionFailure => ErrorExtra::FunctionFailure {
            keyspace: wire::read_string(buf)?,
            function: wire::read_string(buf)?,
            arg_types: wire::read_string_list(buf)?,
        },
        ErrorCode::WriteFailure => ErrorExtra::WriteFailure {
            cl: wire::read_consistency(buf)?,
            received: wire::read_int(buf)?,
            block_for: wire::read_int(buf)?,
            failures: read_failures(buf, version)?,
            write_type: read_write_type(buf)?,
        },
        ErrorCode::CasWriteUnknown => ErrorExtra::CasWriteUnknown {
            cl: wire::read_consistency(buf)?,
            received: wire::read_int(buf)?,
            block_for: wire::read_int(buf)?,
        },
        ErrorCode::AlreadyExists => ErrorExtra::AlreadyExists {
            keyspace: wire::read_string(buf)?,
            table: wire::read_string(buf)?,
        },
        ErrorCode::Unprepared => ErrorExtra::Unprepared {
            id: wire::read_short_bytes(buf)?,
        },
        ErrorCode::Server
        | ErrorCode::Protocol
        | ErrorCode::BadCredentials
        | ErrorCode::Overloaded
        | ErrorCode::IsBootstrapping
        | ErrorCode::Truncate
        | ErrorCode::CdcWriteFailure
        | ErrorCode::Syntax
        | ErrorCode::Unauthorized
        | ErrorCode::Invalid
        | ErrorCode::Config => ErrorExtra::None,
    };
    Ok(ErrorBody {
        code,
        message,
        extra,
    })
}
