//! The read side of the byte layer: cuts envelopes out of the socket buffer, either
//! directly (v3/v4, and v5 before READY) or out of v5 segments (after READY), using
//! `cql::frame`. It classifies failures by what the connection can do next: answer on
//! the stream and go on, or answer and close.

use std::collections::VecDeque;

use bytes::BytesMut;
use cql::frame::{
    decode_frame, decode_segment, Compression, Frame, FrameAssembler, FrameError,
    MAX_SEGMENT_PAYLOAD,
};

/// How envelopes travel on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One envelope after another (v3, v4, v5 handshake).
    Envelopes,
    /// v5 segments, lz4-compressed when negotiated.
    Segments { lz4: bool },
}

/// What the reader found next in the buffer.
#[derive(Debug)]
pub enum Next {
    Frame(Frame),
    /// A bad envelope that was consumed whole: answer it, keep going.
    Recoverable(FrameError),
    /// The byte stream cannot be trusted any more: answer if possible, then close.
    Fatal(FrameError),
    /// Read more bytes first.
    NeedMore,
}

/// Read-side framing state of one connection.
pub struct FrameReader {
    pub buf: BytesMut,
    framing: Framing,
    /// v3/v4 envelope compression once STARTUP negotiated it.
    compression: Compression,
    max_frame_len: usize,
    assembler: FrameAssembler,
    ready: VecDeque<Result<Frame, FrameError>>,
}

impl FrameReader {
    pub fn new(max_frame_len: usize) -> FrameReader {
        FrameReader {
            buf: BytesMut::with_capacity(64 << 10),
            framing: Framing::Envelopes,
            compression: Compression::None,
            max_frame_len,
            assembler: FrameAssembler::new(max_frame_len),
            ready: VecDeque::new(),
        }
    }

    /// Switches framing (after READY on v5) and compression (after STARTUP).
    pub fn set_framing(&mut self, framing: Framing, compression: Compression) {
        self.framing = framing;
        self.compression = compression;
    }

    /// The next envelope, one at a time: in envelope mode the bytes after a STARTUP may
    /// already be segments, so nothing is decoded ahead of the handshake.
    pub fn next(&mut self) -> Next {
        if let Some(r) = self.ready.pop_front() {
            return classify(r);
        }
        match self.framing {
            Framing::Envelopes => {
                match decode_frame(&mut self.buf, self.max_frame_len, self.compression) {
                    Ok(Some(f)) => Next::Frame(f),
                    Ok(None) => Next::NeedMore,
                    Err(e) => classify(Err(e)),
                }
            }
            Framing::Segments { lz4 } => loop {
                match decode_segment(&mut self.buf, lz4, MAX_SEGMENT_PAYLOAD) {
                    Ok(Some(segment)) => {
                        let mut frames = Vec::new();
                        if let Err(e) = self.assembler.push(segment, &mut frames) {
                            return Next::Fatal(e);
                        }
                        self.ready.extend(frames);
                        if let Some(r) = self.ready.pop_front() {
                            return classify(r);
                        }
                    }
                    Ok(None) => return Next::NeedMore,
                    Err(e) => return Next::Fatal(e),
                }
            },
        }
    }
}

fn classify(r: Result<Frame, FrameError>) -> Next {
    match r {
        Ok(f) => Next::Frame(f),
        Err(e) if e.is_recoverable() => Next::Recoverable(e),
        Err(e) => Next::Fatal(e),
    }
}
