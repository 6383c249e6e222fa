//! The process's log filter, changeable at run time (`nodetool setlogginglevel`):
//! the binary installs the subscriber through [`init`], which keeps a reload handle;
//! the admin API reads and replaces the filter through [`get`] and [`set`].

use std::sync::OnceLock;

use parking_lot::Mutex;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

struct Reloadable {
    handle: reload::Handle<EnvFilter, Registry>,
    /// The directives in force (EnvFilter does not print back what it parsed).
    current: Mutex<String>,
}

static LOG: OnceLock<Reloadable> = OnceLock::new();

/// Why a level change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LogLevelError {
    #[error("unknown log level `{0}` (use TRACE, DEBUG, INFO, WARN, ERROR or OFF)")]
    UnknownLevel(String),
    #[error("invalid logger name `{0}`")]
    BadTarget(String),
    #[error("logging is not reloadable in this process")]
    NotInstalled,
    #[error("cannot change the log filter: {0}")]
    Reload(String),
}

/// Installs the global subscriber: `directives` (a tracing filter such as `info` or
/// `server=debug`), plain text unless `ansi`. Errors if the directives do not parse.
pub fn init(directives: &str, ansi: bool) -> Result<(), String> {
    let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
    let (layer, handle) = reload::Layer::new(filter);
    tracing_subscriber::registry()
        .with(layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(ansi),
        )
        .try_init()
        .map_err(|e| e.to_string())?;
    let _ = LOG.set(Reloadable {
        handle,
        current: Mutex::new(directives.to_string()),
    });
    Ok(())
}

/// The filter in force, e.g. `info` or `info,storage=debug`.
pub fn get() -> Option<String> {
    LOG.get().map(|l| l.current.lock().clone())
}

fn level(s: &str) -> Result<&'static str, LogLevelError> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "trace" | "all" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" => "error",
        "off" => "off",
        _ => return Err(LogLevelError::UnknownLevel(s.to_string())),
    })
}

/// Sets the root level (`target` = None or empty, which drops per-target directives,
/// as Cassandra's root logger reset does) or one target's level; returns the new filter.
pub fn set(target: Option<&str>, lvl: &str) -> Result<String, LogLevelError> {
    let lvl = level(lvl)?;
    let l = LOG.get().ok_or(LogLevelError::NotInstalled)?;
    let mut current = l.current.lock();
    let next = match target.filter(|t| !t.is_empty() && *t != "ROOT") {
        None => lvl.to_string(),
        Some(t) => {
            let ok = t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            if !ok {
                return Err(LogLevelError::BadTarget(t.to_string()));
            }
            // Later directives for the same target replace earlier ones.
            let kept: Vec<&str> = current
                .split(',')
                .filter(|d| d.split('=').next() != Some(t))
                .collect();
            format!("{},{t}={lvl}", kept.join(","))
        }
    };
    let filter = EnvFilter::try_new(&next).map_err(|e| LogLevelError::Reload(e.to_string()))?;
    l.handle
        .reload(filter)
        .map_err(|e| LogLevelError::Reload(e.to_string()))?;
    tracing::info!(filter = %next, "log level changed");
    *current = next.clone();
    Ok(next)
}
