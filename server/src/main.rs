//! The `helenus` binary: parses the command line and the YAML config, sets up logging,
//! runs the node until SIGTERM or SIGINT, and exits 0 after a clean shutdown (1 on a
//! configuration or startup error, with the reason on stderr).

use clap::Parser;
use server::config::{Cli, Config};

fn main() {
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
