//! `helenus-stress`: not built yet (see docs/STATUS.md, issue 5). It says so and exits
//! with status 2 rather than pretending to work.

fn main() {
    eprintln!("helenus-stress is not implemented yet (see docs/STATUS.md)");
    std::process::exit(2);
}
