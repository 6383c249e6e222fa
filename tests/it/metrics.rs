//! The node's Prometheus endpoint (`/metrics` on the admin port) as a scraper sees it:
//! well-formed families, and counters that move with what clients do.

use std::collections::HashMap;

use crate::client::connect;
use crate::harness::NodeProc;

/// Scrapes /metrics: HELP/TYPE per family checked, samples as `name{labels}` -> value.
fn scrape(node: &NodeProc) -> HashMap<String, f64> {
    let url = format!("http://127.0.0.1:{}/metrics", node.admin_port);
    let resp = ureq::get(&url).call().expect("GET /metrics");
    assert!(
        resp.content_type().starts_with("text/plain"),
        "{}",
        resp.content_type()
    );
    let text = resp.into_string().expect("body");
    let mut typed: HashMap<String, String> = HashMap::new();
    let mut helped = std::collections::HashSet::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split(' ').next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            typed.insert(name.to_string(), kind.to_string());
        } else if !line.is_empty() {
            let (key, value) = line.rsplit_once(' ').unwrap();
            let name = key.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s)
                        .filter(|f| typed.get(*f).map(String::as_str) == Some("histogram"))
                })
                .unwrap_or(name);
            assert!(typed.contains_key(family), "no TYPE for {name}");
            assert!(helped.contains(family), "no HELP for {name}");
            let v: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("bad value: {line}"));
            samples.insert(key.to_string(), v);
        }
    }
    samples
}

fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no sample {key}; have {:?}", m.keys().collect::<Vec<_>>()))
}

#[tokio::test]
async fn metrics_count_requests_errors_tables_and_flushes() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    s.query_unpaged(
        "CREATE KEYSPACE mt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        &[],
    )
    .await
    .expect("keyspace");
    s.query_unpaged("CREATE TABLE mt.kv (k int PRIMARY KEY, v int)", &[])
        .await
        .expect("table");

    let before = scrape(&node);
    assert!(get(&before, "helenus_connections") >= 1.0);
    let q = r#"helenus_requests_total{op="query"}"#;
    let table = r#"keyspace="mt",table="kv""#;
    assert_eq!(
        get(
            &before,
            &format!("helenus_table_write_latency_seconds_count{{{table}}}")
        ),
        0.0
    );

    for k in 0..30 {
        s.query_unpaged(format!("INSERT INTO mt.kv (k, v) VALUES ({k}, {k})"), &[])
            .await
            .expect("insert");
    }
    for k in 0..7 {
        s.query_unpaged(format!("SELECT v FROM mt.kv WHERE k = {k}"), &[])
            .await
            .expect("select");
    }
    assert!(s.query_unpaged("SELEKT nothing", &[]).await.is_err());
    assert!(s
        .query_unpaged("SELECT * FROM mt.nosuch", &[])
        .await
        .is_err());

    let after = scrape(&node);
    assert!(get(&after, q) - get(&before, q) >= 39.0, "query count");
    assert_eq!(
        get(
            &after,
            r#"helenus_request_latency_seconds_count{op="query"}"#
        ),
        get(&after, q),
        "histogram count = request count"
    );
    assert_eq!(
        get(
            &after,
            r#"helenus_request_latency_seconds_bucket{op="query",le="+Inf"}"#
        ),
        get(&after, q)
    );
    let err = |m: &HashMap<String, f64>, code: &str| {
        get(m, &format!("helenus_errors_total{{code=\"{code}\"}}"))
    };
    assert_eq!(
        err(&after, "syntax_error") - err(&before, "syntax_error"),
        1.0
    );
    assert_eq!(err(&after, "invalid") - err(&before, "invalid"), 1.0);
    assert_eq!(
        get(
            &after,
            &format!("helenus_table_write_latency_seconds_count{{{table}}}")
        ),
        30.0
    );
    assert_eq!(
        get(
            &after,
            &format!("helenus_table_read_latency_seconds_count{{{table}}}")
        ),
        7.0
    );
    assert!(get(&after, &format!("helenus_table_memtable_bytes{{{table}}}")) > 0.0);
    // Batch commit log: every acknowledged write was fsynced.
    assert!(
        get(&after, "helenus_commitlog_syncs_total")
            > get(&before, "helenus_commitlog_syncs_total")
    );
    assert!(get(&after, "helenus_commitlog_bytes") > 0.0);

    let flush = format!(
        "http://127.0.0.1:{}/api/v1/flush?keyspace=mt",
        node.admin_port
    );
    ureq::post(&flush).call().expect("flush");
    let flushed = scrape(&node);
    assert_eq!(
        get(&flushed, "helenus_flushes_total") - get(&after, "helenus_flushes_total"),
        1.0
    );
    assert!(
        get(&flushed, "helenus_flushed_bytes_total") > get(&after, "helenus_flushed_bytes_total")
    );
    assert_eq!(
        get(&flushed, &format!("helenus_table_sstables{{{table}}}")),
        1.0
    );
    assert_eq!(
        get(
            &flushed,
            &format!("helenus_table_memtable_bytes{{{table}}}")
        ),
        0.0
    );
    assert_eq!(get(&flushed, r#"helenus_pending_tasks{kind="flush"}"#), 0.0);
}
