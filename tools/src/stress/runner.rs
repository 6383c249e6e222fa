//! Drives the load: sets up the schema, opens `connectionsPerHost` connections to every
//! node, prepares the statements, then runs one pipelining task per connection on a
//! single-threaded runtime. Each task keeps its share of the `-rate threads=N`
//! operations in flight: it writes a batch of EXECUTEs, reads whatever answers have
//! arrived, records them and refills the freed stream ids. One thread, so the shared
//! state is `Cell`/`RefCell`; a run that needs more than one client core can start
//! several processes.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use cql::error::ErrorCode;
use cql::wire::Consistency;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{Settings, Throttle};
use super::conn::{encode_execute, Conn, Outcome, PreparedId};
use super::dist::{KeySource, Rng};
use super::error::{Result, StressError};
use super::report;
use super::stats::Stats;
use super::workload::{Binder, OpKind, Workload};

/// Decides whether another operation may start now.
struct Control {
    started: Cell<u64>,
    limit: Option<u64>,
    deadline: Option<Instant>,
    throttle: Option<Throttle>,
    begin: Instant,
}

enum Next {
    /// Start now; latency is measured from this instant (the due time when `fixed`).
    Go(Instant),
    /// Throttled: nothing may start before this instant.
    Wait(Instant),
    Done,
}

impl Control {
    fn next(&self, now: Instant) -> Next {
        let i = self.started.get();
        if self.limit.is_some_and(|n| i >= n) || self.deadline.is_some_and(|d| now >= d) {
            return Next::Done;
        }
        let mut from = now;
        if let Some(t) = self.throttle {
            let due = self.begin + Duration::from_secs_f64(i as f64 / t.per_second);
            if due > now {
                return Next::Wait(due);
            }
            if t.fixed {
                from = due;
            }
        }
        self.started.set(i + 1);
        Next::Go(from)
    }
}

/// A prepared operation, ready to encode.
struct ReadyOp {
    prepared: PreparedId,
    kind: OpKind,
    weight: u64,
    binder: Binder,
    /// Reads whose first row must start with what this binder writes for the key.
    verify: Option<Binder>,
}

/// The outcome of a run.
pub struct RunResult {
    pub stats: Stats,
    pub elapsed: Duration,
}

pub async fn run(s: &Settings, w: Workload) -> Result<RunResult> {
    // Schema, once, through the first node.
    let mut first = Conn::connect(&s.nodes[0], s.framing).await?;
    for stmt in &w.schema {
        match first.query(stmt, Consistency::One).await {
            Ok(_) => {}
            Err(StressError::Server { body, .. }) if body.code == ErrorCode::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    drop(first);

    // Connections, each with the keyspace selected and every statement prepared.
    let mut conns = Vec::new();
    let mut ops: Vec<ReadyOp> = Vec::new();
    'hosts: for node in &s.nodes {
        for _ in 0..s.connections_per_host {
            if conns.len() >= s.threads {
                break 'hosts; // never more connections than operations in flight
            }
            let mut c = Conn::connect(node, s.framing).await?;
            c.query(&format!("USE {}", w.keyspace), Consistency::One)
                .await?;
            for (i, op) in w.ops.iter().enumerate() {
                let p = c.prepare(&op.cql).await?;
                if ops.len() == i {
                    let binder = match &op.binder {
                        Binder::Typed(_) => {
                            let vars: Vec<_> = p
                                .metadata
                                .columns
                                .iter()
                                .map(|c| (c.name.clone(), c.typ.clone()))
                                .collect();
                            super::profile::bind_columns(&w, &vars)?
                        }
                        other => other.clone(),
                    };
                    ops.push(ReadyOp {
                        prepared: PreparedId {
                            id: p.id.clone(),
                            result_metadata_id: p.result_metadata_id.clone(),
                        },
                        kind: op.kind,
                        weight: u64::from(op.weight),
                        binder,
                        verify: op.verify.clone(),
                    });
                } else if ops[i].prepared.id != p.id {
                    // Same statement, same id on every Cassandra-compatible node; if not,
                    // keep each connection's own (not supported here: say so).
                    return Err(StressError::Protocol {
                        addr: node.clone(),
                        message: format!("prepared id of '{}' differs between connections", op.cql),
                    });
                }
            }
            conns.push(c);
        }
    }
    let ops = Rc::new(ops);
    let names: Vec<String> = w.ops.iter().map(|o| o.name.clone()).collect();
    let stats = Rc::new(RefCell::new(Stats::new(&names)));
    let begin = Instant::now();
    let control = Rc::new(Control {
        started: Cell::new(0),
        limit: s.n,
        deadline: s.duration.map(|d| begin + d),
        throttle: s.throttle,
        begin,
    });
    let keys = Rc::new(KeySource::new(s.population.clone()));
    let total_weight: u64 = ops.iter().map(|o| o.weight).sum();

    let local = tokio::task::LocalSet::new();
    let n_conns = conns.len();
    let mut tasks = Vec::new();
    for (i, conn) in conns.into_iter().enumerate() {
        let in_flight = s.threads / n_conns + usize::from(i < s.threads % n_conns);
        let task = Pipeline {
            conn,
            in_flight: in_flight.min(i16::MAX as usize),
            ops: ops.clone(),
            total_weight,
            control: control.clone(),
            stats: stats.clone(),
            keys: keys.clone(),
            rng: Rng::new(i as u64 + 1),
            consistency: s.consistency,
            scratch: BytesMut::new(),
        };
        tasks.push(local.spawn_local(task.run()));
    }
    let done = Rc::new(Cell::new(false));
    let reporter = local.spawn_local(progress(s.clone(), stats.clone(), done.clone()));
    local
        .run_until(async {
            for t in tasks {
                let _ = t.await;
            }
            done.set(true);
            let _ = reporter.await;
        })
        .await;
    let elapsed = begin.elapsed();
    let stats = stats.borrow().clone();
    Ok(RunResult { stats, elapsed })
}

/// Prints the live line (and the CSV log) every interval until `done`.
async fn progress(s: Settings, stats: Rc<RefCell<Stats>>, done: Rc<Cell<bool>>) {
    let bar = if s.progress {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("template"));
    let mut csv = s
        .csv_log
        .as_ref()
        .and_then(|p| match std::fs::File::create(p) {
            Ok(mut f) => {
                let _ = f.write_all(report::CSV_HEADER.as_bytes());
                Some(f)
            }
            Err(e) => {
                eprintln!("cannot write {}: {e}; no CSV log", p.display());
                None
            }
        });
    let begin = Instant::now();
    let mut last = begin;
    // Ticks of 50 ms so the end is noticed quickly; a line per interval.
    while !done.get() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = Instant::now();
        if now - last < s.interval && !done.get() {
            continue;
        }
        let dt = now - last;
        last = now;
        let (w, total_ops, total_errors) = {
            let mut st = stats.borrow_mut();
            let w = st.take_interval((now - begin).as_secs_f64(), dt.as_secs_f64());
            (w, st.total.ops, st.total.errors)
        };
        bar.set_message(report::progress_line(&w, dt, total_ops, total_errors));
        bar.tick();
        if let Some(f) = csv.as_mut() {
            let _ = f.write_all(report::csv_line(now - begin, &w, dt, total_ops).as_bytes());
        }
    }
    bar.finish_and_clear();
}

struct Pipeline {
    conn: Conn,
    in_flight: usize,
    ops: Rc<Vec<ReadyOp>>,
    total_weight: u64,
    control: Rc<Control>,
    stats: Rc<RefCell<Stats>>,
    keys: Rc<KeySource>,
    rng: Rng,
    consistency: Consistency,
    /// Expected values of a verified read, regenerated per answer.
    scratch: BytesMut,
}

/// What is outstanding on a stream id.
#[derive(Clone, Copy)]
struct Slot {
    start: Instant,
    op: u16,
    key: u64,
}

impl Pipeline {
    async fn run(mut self) {
        let mut slots = vec![
            Slot {
                start: Instant::now(),
                op: 0,
                key: 0,
            };
            self.in_flight
        ];
        let mut free: Vec<i16> = (0..self.in_flight as i16).rev().collect();
        let mut done = false;
        loop {
            // Start what may start.
            let mut wait_until = None;
            let now = Instant::now();
            while !done && !free.is_empty() {
                match self.control.next(now) {
                    Next::Go(from) => {
                        let stream = free.pop().expect("checked non-empty");
                        let op = self.pick();
                        let key = self.keys.next(&mut self.rng);
                        let o = &self.ops[op];
                        encode_execute(
                            &mut self.conn.wbuf,
                            self.conn.framing.version,
                            stream,
                            &o.prepared,
                            self.consistency,
                            |out| o.binder.write(out, key),
                        );
                        slots[stream as usize] = Slot {
                            start: from,
                            op: op as u16,
                            key,
                        };
                    }
                    Next::Wait(t) => {
                        wait_until = Some(t);
                        break;
                    }
                    Next::Done => done = true,
                }
            }
            let outstanding = self.in_flight - free.len();
            if let Err(e) = self.conn.flush().await {
                self.lost(&e, outstanding);
                return;
            }
            if outstanding == 0 {
                match wait_until {
                    _ if done => return,
                    Some(t) => {
                        tokio::time::sleep_until(t.into()).await;
                        continue;
                    }
                    None => continue,
                }
            }
            // Wait for answers (or for the throttle to let another request go).
            let filled = match wait_until {
                Some(t) => tokio::select! {
                    r = self.conn.fill() => Some(r),
                    _ = tokio::time::sleep_until(t.into()) => None,
                },
                None => Some(self.conn.fill().await),
            };
            if let Some(Err(e)) = filled {
                self.lost(&e, outstanding);
                return;
            }
            let now = Instant::now();
            let mut st = self.stats.borrow_mut();
            let ops = &self.ops;
            let scratch = &mut self.scratch;
            loop {
                let handled = self.conn.next_response(|stream, outcome, body| {
                    let Some(slot) = slots.get(stream as usize).copied() else {
                        return; // not ours (stream ids beyond in_flight are never sent)
                    };
                    let op = slot.op as usize;
                    match outcome {
                        Outcome::Ok { rows, data } => {
                            if let (Some(check), true) = (&ops[op].verify, rows > 0) {
                                // The row's cells start with exactly the values the
                                // write bound for this key, in the same [bytes] form.
                                scratch.clear();
                                check.write(scratch, slot.key);
                                if !body[data..].starts_with(scratch) {
                                    st.error(
                                        Some(op),
                                        "value mismatch".into(),
                                        &format!(
                                            "key {} does not hold the values write stores for it",
                                            slot.key
                                        ),
                                    );
                                    free.push(stream);
                                    return;
                                }
                            }
                            let us = now.saturating_duration_since(slot.start).as_micros() as u64;
                            st.ok(op, ops[op].kind, us, rows);
                        }
                        Outcome::Failed(body) => st.failed(op, &body),
                    }
                    free.push(stream);
                });
                match handled {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        drop(st);
                        self.lost(&e, self.in_flight - free.len());
                        return;
                    }
                }
            }
        }
    }

    /// Weighted choice of the next operation.
    fn pick(&mut self) -> usize {
        if self.ops.len() == 1 {
            return 0;
        }
        let mut x = self.rng.below(self.total_weight);
        for (i, o) in self.ops.iter().enumerate() {
            if x < o.weight {
                return i;
            }
            x -= o.weight;
        }
        self.ops.len() - 1
    }

    /// The connection failed: what was in flight is lost and counted as such.
    fn lost(&self, e: &StressError, outstanding: usize) {
        let mut st = self.stats.borrow_mut();
        let msg = e.to_string();
        st.error(None, "connection lost".into(), &msg);
        for _ in 1..outstanding {
            st.error(None, "connection lost".into(), &msg);
        }
    }
}
