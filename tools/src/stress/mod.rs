//! helenus-stress: a cassandra-stress style load generator for Helenus (and any CQL
//! node). See docs/STRESS.md for usage.
//!
//! - [`args`]: the cassandra-stress command line.
//! - [`workload`] / [`profile`]: schema, statements and values (predefined or YAML).
//! - [`dist`]: key populations and value sizes.
//! - [`conn`]: a thin pipelining native-protocol connection.
//! - [`runner`]: the single-threaded load loop.
//! - [`stats`] / [`report`]: histograms, error counts, summary, JSON and CSV.

pub mod args;
pub mod conn;
pub mod dist;
pub mod error;
pub mod profile;
pub mod report;
pub mod runner;
pub mod stats;
pub mod workload;

use args::Command;
use error::StressError;

/// Runs the tool with `argv` (without the program name); the process exit code:
/// 0 when every operation succeeded, 1 when some failed (the summary says which),
/// 2 for bad arguments or a run that could not start.
pub fn main(argv: &[String]) -> i32 {
    let settings = match args::parse(argv) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("helenus-stress: {e}\n\n{}", args::USAGE);
            return 2;
        }
    };
    let workload = match &settings.command {
        Command::User { profile, ops } => profile::load(profile, ops),
        _ => workload::Workload::predefined(&settings),
    };
    let workload = match workload {
        Ok(w) => w,
        Err(e) => {
            eprintln!("helenus-stress: {e}");
            return 2;
        }
    };
    // One thread: the point is to measure the node, not to compete with it for cores.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("helenus-stress: cannot start the runtime: {e}");
            return 2;
        }
    };
    let out = match rt.block_on(runner::run(&settings, workload)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("helenus-stress: {e}");
            if matches!(e, StressError::Server { .. }) {
                if let Command::Read | Command::CounterRead = settings.command {
                    eprintln!(
                        "(read commands do not create the schema: run write / counter_write first)"
                    );
                }
            }
            return 2;
        }
    };
    let name = settings.command.name();
    print!("{}", report::summary_text(name, &out.stats, out.elapsed));
    if let Some(path) = &settings.json {
        let json = report::summary_json(name, &out.stats, out.elapsed);
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("helenus-stress: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    if out.stats.total.errors > 0 {
        1
    } else {
        0
    }
}
