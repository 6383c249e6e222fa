//! `helenus-stress`: see tools/src/stress and docs/STRESS.md.

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(tools::stress::main(&argv));
}
