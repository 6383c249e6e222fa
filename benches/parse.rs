//! Placeholder until the owning engineer lands the real benchmark.
fn main() {}
