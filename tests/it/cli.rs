//! The `helenus` command line and config file, as an operator meets them: a bad config
//! stops the process with exit code 1 and names the offending key.

use crate::harness::{run_to_exit, NodeProc};

#[test]
fn cli_unknown_config_key_is_named_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("helenus.yaml");
    std::fs::write(&cfg, "cluster_name: t\nnum_tokenz: 8\n").unwrap();
    let (code, stderr) = run_to_exit(&[
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("num_tokenz"), "{stderr}");
}

#[test]
fn cli_bad_unit_is_named_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("helenus.yaml");
    std::fs::write(&cfg, "commitlog_segment_size: 32 parsecs\n").unwrap();
    let (code, stderr) = run_to_exit(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("commitlog_segment_size"), "{stderr}");
}

#[test]
fn cli_node_logs_where_it_listens_and_stops_cleanly() {
    let mut node = NodeProc::start();
    let log = node.log();
    assert!(log.contains(&format!("127.0.0.1:{}", node.port)), "{log}");
    assert!(
        log.contains(&node.data_dir().display().to_string()),
        "{log}"
    );
    assert_eq!(node.stop(), Some(0), "log:\n{}", node.log());
}
