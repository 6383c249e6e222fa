//! The root package holds only the workspace-wide integration tests (`tests/`) and the
//! criterion benchmarks (`benches/`). The code lives in the member crates.
