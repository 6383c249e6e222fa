//! Arbitrary text into the CQL parser: it must return Ok or a ParseError, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cql::parser::parse_statements(text);
    }
});
