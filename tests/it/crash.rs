//! Crash safety with real processes: a node under concurrent write load from the scylla
//! driver is killed with SIGKILL at random moments, in the middle of a memtable flush and
//! in the middle of a compaction, then restarted on the same directory. It must always
//! start, and:
//! - with `commitlog_sync: batch`, every write the driver saw acknowledged is there;
//! - with `periodic` (200 ms), every write acknowledged more than the period (plus a
//!   margin for scheduling on a loaded machine) before the kill is there.
//!
//! The kill moments come from a seeded RNG: `CRASH_SEED=<n>` replays a run; the seed is
//! printed at the start and in every failure message. A tiny memtable budget (1 MiB) and
//! 1 KiB values make flushes and size-tiered compactions happen within seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{rngs::StdRng, Rng, SeedableRng};
use scylla::client::session::Session;
use scylla::response::PagingState;

use crate::client::connect;
use crate::harness::NodeProc;

pub(crate) const WRITERS: i64 = 4;
const VALUE_LEN: usize = 1024;
/// Longest wait for a flush or compaction to start before the kill.
const EVENT_TIMEOUT: Duration = Duration::from_secs(90);
/// Node config shared by the tests: flush every ~1 MiB, small segments.
const YAML: &str = "memtable_heap_space: 1MiB\ncommitlog_segment_size: 1MiB\n";

pub(crate) fn seed() -> u64 {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("crash test seed: CRASH_SEED={seed}");
    seed
}

/// The value written for key `k`: its bytes repeated, so a read can be checked.
pub(crate) fn value(k: i64) -> Vec<u8> {
    k.to_le_bytes()
        .iter()
        .copied()
        .cycle()
        .take(VALUE_LEN)
        .collect()
}

/// Writer tasks inserting distinct keys until the node dies; each acknowledged key is
/// recorded with the moment its acknowledgement arrived.
pub(crate) struct Load {
    acked: Arc<Mutex<Vec<(i64, Instant)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Load {
    pub(crate) async fn start(session: Arc<Session>, cycle: i64) -> Load {
        let insert = session
            .prepare("INSERT INTO crash.t (k, v) VALUES (?, ?)")
            .await
            .expect("prepare");
        let acked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..WRITERS)
            .map(|w| {
                let (session, insert) = (Arc::clone(&session), insert.clone());
                let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
                tokio::spawn(async move {
                    let base = cycle * 1_000_000_000 + w * 100_000_000;
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let k = base + i;
                        match session.execute_unpaged(&insert, (k, value(k))).await {
                            Ok(_) => acked.lock().expect("lock").push((k, Instant::now())),
                            // The node was killed: this write's fate is unknown.
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        Load { acked, tasks, stop }
    }

    /// Stops the writers (after the kill) and returns the acknowledged keys.
    pub(crate) async fn finish(self) -> Vec<(i64, Instant)> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(60), t).await;
        }
        let acked = self.acked.lock().expect("lock");
        acked.clone()
    }

    fn count(&self) -> usize {
        self.acked.lock().expect("lock").len()
    }
}

/// When to pull the plug.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Moment {
    /// After this long under load.
    After(Duration),
    /// As soon as the node logs that it started flushing a memtable.
    MidFlush,
    /// As soon as the node logs that it started a compaction.
    MidCompaction,
}

/// Occurrences of `needle` in the node's log after byte `from`.
fn log_count(node: &NodeProc, from: usize, needle: &str) -> usize {
    node.log()
        .get(from..)
        .map_or(0, |tail| tail.matches(needle).count())
}

/// Waits for the moment (with the load running), then SIGKILLs the node. Returns the
/// instant of the kill.
pub(crate) async fn kill_at(
    node: &mut NodeProc,
    moment: Moment,
    log_from: usize,
    seed: u64,
) -> Instant {
    let needle = match moment {
        Moment::After(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Moment::MidFlush => Some("flush started"),
        Moment::MidCompaction => Some("compaction started"),
    };
    if let Some(needle) = needle {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        while log_count(node, log_from, needle) == 0 {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` within {EVENT_TIMEOUT:?} (CRASH_SEED={seed}); log:\n{}",
                node.log()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let pid = node.pid();
    node.kill();
    eprintln!("killed node (pid {pid:?}) at {moment:?}");
    Instant::now()
}

/// Every row of crash.t, read page by page.
pub(crate) async fn read_all(s: &Session) -> HashMap<i64, Vec<u8>> {
    let mut stmt = scylla::statement::Statement::new("SELECT k, v FROM crash.t");
    stmt.set_page_size(2000);
    let mut paging = PagingState::start();
    let mut out = HashMap::new();
    loop {
        let (res, next) = s
            .query_single_page(stmt.clone(), &[], paging)
            .await
            .expect("page");
        for r in res
            .into_rows_result()
            .expect("rows")
            .rows::<(i64, Vec<u8>)>()
            .expect("typed")
        {
            let (k, v) = r.expect("row");
            out.insert(k, v);
        }
        match next.into_paging_control_flow() {
            std::ops::ControlFlow::Continue(p) => paging = p,
            std::ops::ControlFlow::Break(()) => break,
        }
    }
    out
}

pub(crate) async fn create_schema(s: &Session) {
    s.query_unpaged(
        "CREATE KEYSPACE crash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        &[],
    )
    .await
    .expect("create keyspace");
    s.query_unpaged("CREATE TABLE crash.t (k bigint PRIMARY KEY, v blob)", &[])
        .await
        .expect("create table");
}

/// Runs one load + kill + restart cycle per moment; after each restart, `must_have`
/// picks, from the keys acknowledged so far (with their ack instant and the kill
/// instant of their cycle), those that must be present. Returns the number of keys
/// acknowledged in all.
async fn run_cycles(
    node: &mut NodeProc,
    moments: &[Moment],
    seed: u64,
    must_have: impl Fn(Instant, Instant) -> bool,
) -> usize {
    // (key, acked at, killed at) of every cycle so far.
    let mut history: Vec<(i64, Instant, Instant)> = Vec::new();
    for (cycle, moment) in moments.iter().enumerate() {
        let session = Arc::new(connect(node).await);
        if cycle == 0 {
            create_schema(&session).await;
        }
        let log_from = node.log().len();
        let load = Load::start(Arc::clone(&session), cycle as i64).await;
        let killed = kill_at(node, *moment, log_from, seed).await;
        let in_flight_acked = load.count();
        let acked = load.finish().await;
        assert!(
            !acked.is_empty(),
            "cycle {cycle}: no write was acknowledged before the kill (CRASH_SEED={seed})"
        );
        eprintln!(
            "cycle {cycle}: {} writes acknowledged ({in_flight_acked} at the kill)",
            acked.len()
        );
        history.extend(acked.into_iter().map(|(k, at)| (k, at, killed)));
        drop(session);

        node.restart();
        let s = connect(node).await;
        let rows = read_all(&s).await;
        let mut missing = Vec::new();
        for (k, at, killed) in &history {
            if !must_have(*at, *killed) {
                continue;
            }
            match rows.get(k) {
                Some(v) => assert!(
                    *v == value(*k),
                    "key {k} has a wrong value after restart {cycle} (CRASH_SEED={seed})"
                ),
                None => missing.push(*k),
            }
        }
        assert!(
            missing.is_empty(),
            "after kill {cycle} ({moment:?}) {} acknowledged keys are missing, e.g. {:?} \
             (CRASH_SEED={seed}); log:\n{}",
            missing.len(),
            &missing[..missing.len().min(10)],
            node.log()
        );
    }
    history.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_batch_sigkill_loses_no_acknowledged_write() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let random = Moment::After(Duration::from_millis(rng.gen_range(300..2500)));
    let mut node = NodeProc::start_with_config(YAML, &["--commitlog-sync", "batch"]);
    let moments = [random, Moment::MidFlush, Moment::MidCompaction];
    let total = run_cycles(&mut node, &moments, seed, |_, _| true).await;
    eprintln!("batch: {total} acknowledged writes all present after 3 kills");
    assert!(
        !node.log().contains("panicked"),
        "no panic; log:\n{}",
        node.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_periodic_sigkill_loses_nothing_older_than_the_sync_period() {
    const PERIOD: Duration = Duration::from_millis(200);
    // Scheduling slack on a loaded 2-core machine, on top of the period.
    const MARGIN: Duration = Duration::from_secs(1);
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let yaml = format!("{YAML}commitlog_sync_period: 200ms\n");
    let mut node = NodeProc::start_with_config(&yaml, &["--commitlog-sync", "periodic"]);
    let moments = [
        Moment::After(Duration::from_millis(rng.gen_range(1500..3000))),
        Moment::MidFlush,
    ];
    let total = run_cycles(&mut node, &moments, seed, |acked, killed| {
        acked + PERIOD + MARGIN <= killed
    })
    .await;
    eprintln!("periodic: {total} acknowledged writes, none older than the period lost");
}
