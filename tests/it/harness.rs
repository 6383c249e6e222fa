//! Starts and stops real `helenus` processes for the integration tests: a free CQL port
//! on 127.0.0.1, a temporary data directory, logs in `DIR/node.log`, SIGTERM / SIGKILL,
//! and restarts on the same data directory.
//!
//! The binary is `$HELENUS_BIN` if set, else `target/debug/helenus` (built once with
//! `cargo build -p helenus-server` when missing; tests/run.sh builds it first).

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a node may take to open its port (replay included, debug build).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// What the node logs once its CQL port listens.
const LISTENING: &str = "listening for CQL clients";
/// How long a SIGTERM'd node may take to flush and exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of the node binary, building it once if needed.
pub fn helenus_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("helenus-server", "helenus", "HELENUS_BIN"))
        .clone()
}

/// A binary of the workspace: `$env_var` if set, else the one beside the node binary
/// (so a release node is tested with release tools), else `target/debug/NAME`, built
/// with `cargo build -p PACKAGE` when missing (tests/run.sh builds them all first).
pub fn workspace_bin(package: &str, name: &str, env_var: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env_var) {
        return PathBuf::from(p);
    }
    if let Ok(node) = std::env::var("HELENUS_BIN") {
        let beside = PathBuf::from(node).with_file_name(name);
        if beside.exists() {
            return beside;
        }
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let bin = target.join("debug").join(name);
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", package, "--bin", name])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(
            status.success(),
            "cargo build -p {package} --bin {name} failed"
        );
    }
    bin
}

/// A free TCP port on 127.0.0.1 (bound then released; good enough for tests).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// One node process and its data directory.
pub struct NodeProc {
    child: Option<Child>,
    pub port: u16,
    /// The admin API / nodetool port (`--admin-port`).
    pub admin_port: u16,
    storage_port: u16,
    dir: PathBuf,
    extra_args: Vec<String>,
    // Kept to delete the directory at the end; None when the caller owns the dir.
    _tmp: Option<tempfile::TempDir>,
}

impl NodeProc {
    /// A fresh node in a new temp dir, batch commit log (acknowledged = durable).
    pub fn start() -> NodeProc {
        NodeProc::start_with_args(&["--commitlog-sync", "batch"])
    }

    /// A fresh node with extra command-line arguments.
    pub fn start_with_args(args: &[&str]) -> NodeProc {
        let mut n = NodeProc::unstarted(args);
        n.spawn();
        n
    }

    /// A fresh node reading `yaml` as its config file (`DIR/helenus.yaml`, which
    /// `set_config` rewrites between restarts), plus extra command-line arguments.
    pub fn start_with_config(yaml: &str, args: &[&str]) -> NodeProc {
        let mut n = NodeProc::configured(yaml, args);
        n.spawn();
        n
    }

    /// Like `start_with_config` but not started: the caller prepares the directory
    /// (e.g. mounts a filesystem under it), then calls `restart` to start it.
    pub fn configured(yaml: &str, args: &[&str]) -> NodeProc {
        let mut n = NodeProc::unstarted(args);
        let path = n.config_path();
        n.set_config(yaml);
        n.extra_args
            .extend(["--config".to_string(), path.display().to_string()]);
        n
    }

    fn unstarted(args: &[&str]) -> NodeProc {
        let tmp = tempfile::Builder::new()
            .prefix("helenus-it-")
            .tempdir()
            .expect("tempdir");
        NodeProc {
            child: None,
            port: free_port(),
            admin_port: free_port(),
            storage_port: free_port(),
            dir: tmp.path().to_path_buf(),
            extra_args: args.iter().map(|s| s.to_string()).collect(),
            _tmp: Some(tmp),
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("helenus.yaml")
    }

    /// Rewrites the config file read at the next (re)start.
    pub fn set_config(&self, yaml: &str) {
        std::fs::write(self.config_path(), yaml).expect("write helenus.yaml");
    }

    /// Process id of the running node, if any.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The commit-log directory (`--data-dir` layout: `DIR/commitlog`).
    pub fn commitlog_dir(&self) -> PathBuf {
        self.dir.join("commitlog")
    }

    /// Every SSTable file under the data directory whose name ends with `suffix`
    /// (e.g. `-Data.db`), sorted.
    pub fn sstable_files(&self, suffix: &str) -> Vec<PathBuf> {
        fn walk(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, suffix, out);
                } else if p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("hl-") && n.ends_with(suffix))
                {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.join("data"), suffix, &mut out);
        out.sort();
        out
    }

    /// Starts the process on the same data directory and expects it to exit during
    /// start-up (it must not open its port). Returns the exit code and the log
    /// written by this attempt.
    pub fn restart_expect_failure(&mut self) -> (Option<i32>, String) {
        assert!(self.child.is_none(), "node already running");
        let before = self.log().len();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open node.log");
        let err = log.try_clone().expect("clone log handle");
        let mut child = self
            .command()
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + START_TIMEOUT;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break status;
            }
            // The node's own "listening" line, not the port: another process on the
            // machine may have been given the port since this node was killed.
            let started = self
                .log()
                .get(before..)
                .is_some_and(|l| l.contains(LISTENING));
            if started {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "helenus started but was expected to fail; log:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "helenus neither started nor exited; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let log = self.log();
        (
            status.code(),
            log.get(before..).unwrap_or_default().to_string(),
        )
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn uri(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    /// The node's log so far (for assertion messages).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.log_path()) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node already running");
        let started_before = self.starts_logged();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open node.log");
        let err = log.try_clone().expect("clone log handle");
        let child = self
            .command()
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn helenus");
        self.child = Some(child);
        self.wait_for_port(started_before);
    }

    fn command(&self) -> Command {
        let mut c = Command::new(helenus_bin());
        c.arg("--data-dir")
            .arg(&self.dir)
            .args(["--listen-address", "127.0.0.1"])
            .args(["--native-port", &self.port.to_string()])
            .args(["--storage-port", &self.storage_port.to_string()])
            .args(["--admin-port", &self.admin_port.to_string()])
            .args(&self.extra_args)
            .env(
                "RUST_LOG",
                // Whatever level is asked for, the start-up line stays: the harness
                // waits for it (see `wait_for_port`).
                match std::env::var("HELENUS_TEST_LOG") {
                    Ok(level) => format!("{level},server::node=info"),
                    Err(_) => "info".into(),
                },
            )
            .stdin(Stdio::null());
        c
    }

    /// How many times the log says the node started listening (it appends across
    /// restarts).
    fn starts_logged(&self) -> usize {
        self.log().matches(LISTENING).count()
    }

    /// Waits until this process logged that it listens (the node opens its port only
    /// once ready) and the port answers. The log line matters: after a stop, another
    /// test's node may have been given the same port and would answer for it.
    fn wait_for_port(&mut self, started_before: usize) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.starts_logged() > started_before
                && TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_ok()
            {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    panic!(
                        "helenus exited during startup ({status}); log:\n{}",
                        self.log()
                    );
                }
            }
            assert!(
                Instant::now() < deadline,
                "helenus did not open port {} in time; log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn signal(&self, sig: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([sig, &child.id().to_string()])
                .status();
        }
    }

    /// SIGTERM and wait: returns the exit code (a clean shutdown is 0).
    pub fn stop(&mut self) -> Option<i32> {
        self.signal("-TERM");
        let mut child = self.child.take()?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("helenus did not exit after SIGTERM; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: a crash, nothing flushed.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same data directory and ports.
    pub fn restart(&mut self) {
        self.spawn();
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `helenus` with `args` to completion (config errors): (exit code, stderr).
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(helenus_bin())
        .args(args)
        .output()
        .expect("run helenus");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
