//! The `helenus` binary: parses the command line and the YAML config, sets up logging,
//! runs the node until SIGTERM or SIGINT, and exits 0 after a clean shutdown (1 on a
//! configuration or startup error, with the reason on stderr).

use clap::Parser;
use server::config::{Cli, Config};

/// With the `jemalloc` feature the node allocates with jemalloc instead of glibc.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its first allocation (the crate builds jemalloc with
/// the `_rjem_` prefix, so this is its `malloc_conf`; `_RJEM_MALLOC_CONF` in the
/// environment still overrides it). Background threads return freed pages to the
/// kernel after `dirty_decay_ms` instead of on the allocating threads, so freed
/// memtables do not linger as resident memory once writes stop. Ten seconds, not
/// one: under sustained writes a memtable is flushed every few seconds and the next
/// one allocates what the last freed; returned within a second, every page of it was
/// faulted in and zeroed again, 0.23 faults per write at ~3 µs each on our VM (0.07
/// with 10 s; docs/PERFORMANCE.md, "Keeping memtable memory across flushes").
#[cfg(feature = "jemalloc")]
#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: &u8 = &b"background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0\0"[0];

fn main() {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let config = match Config::from_cli(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("helenus: {e}");
            std::process::exit(1);
        }
    };
    // RUST_LOG wins over the config's log_level, as operators expect.
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| config.log_level.clone());
    // Colours only on a terminal: log files and test harnesses get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // Reloadable, so `nodetool setlogginglevel` can change it at run time.
    if let Err(e) = server::admin::loglevel::init(&directives, ansi) {
        eprintln!("helenus: invalid log level `{directives}`: {e}");
        std::process::exit(1);
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("helenus: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(server::node::run(config, shutdown_signal())) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("helenus: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Completes on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot install the SIGTERM handler: {e}");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}

/// glibc gives threads that allocate their own malloc arenas (up to eight per core)
/// and keeps what is freed in each: under a constant write load, with a 128 MiB
/// memtable budget, the node's anonymous memory grew past 1.5 GiB with the default and
/// stayed near 350 MiB with capped arenas (docs/PERFORMANCE.md, "Node memory"). An
/// operator's MALLOC_ARENA_MAX still wins.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc")))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator tunable; this runs first in main,
        // before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "jemalloc"))))]
fn limit_malloc_arenas() {}
