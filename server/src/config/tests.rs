//! Unit tests of the config: defaults, Cassandra keys, units, rejections, CLI overrides.
use super::*;

fn parse(yaml: &str) -> Result<Config, ConfigError> {
    Config::resolve(
        FileConfig::parse(yaml, Path::new("t.yaml"))?,
        &Cli::default(),
    )
}

#[test]
fn config_defaults_match_cassandra() {
    let c = parse("").unwrap();
    assert_eq!(c.native_port, 9042);
    assert_eq!(c.storage_port, 7000);
    assert_eq!(c.listen_address.to_string(), "127.0.0.1");
    assert_eq!(c.data_file_directories, vec![PathBuf::from("data/data")]);
    assert_eq!(c.commitlog_directory, PathBuf::from("data/commitlog"));
    assert_eq!(c.num_tokens, 16);
    assert_eq!(c.native_transport_max_frame_size, 16 << 20);
    assert_eq!(c.commitlog_sync, CommitlogSync::Periodic);
    assert_eq!(c.column_index_size, 16 << 10);
}

#[test]
fn config_reads_cassandra_keys_and_units() {
    let c = parse(
        "cluster_name: Prod\nnative_transport_port: 19042\ncommitlog_sync: group\n\
         commitlog_sync_group_window: 5ms\ncommitlog_segment_size: 64MiB\n\
         memtable_heap_space: 1GiB\ncompaction_throughput: 16MiB/s\n\
         memtable_flush_writers: 4\nmemtable_cleanup_threshold: 0.25\n\
         concurrent_compactors: 2\n\
         file_cache_size: 64MiB\ncolumn_index_size: 4KiB\ncommitlog_preallocate: true\n\
         seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n\
         \x20   parameters:\n      - seeds: \"10.0.0.1:7000, 10.0.0.2\"\n\
         data_file_directories: [/var/lib/h/data]\ncommitlog_directory: /var/lib/h/cl\n",
    )
    .unwrap();
    assert_eq!(c.cluster_name, "Prod");
    assert_eq!(c.native_port, 19042);
    assert_eq!(c.commitlog_sync, CommitlogSync::Group);
    assert_eq!(c.commitlog_sync_group_window, Duration::from_millis(5));
    assert_eq!(c.commitlog_segment_size, 64 << 20);
    assert_eq!(c.memtable_heap_space, Some(1 << 30));
    assert_eq!(c.compaction_throughput, 16 << 20);
    assert_eq!(c.memtable_flush_writers, 4);
    assert_eq!(c.memtable_cleanup_threshold, Some(0.25));
    assert_eq!(c.concurrent_compactors, 2);
    assert_eq!(c.file_cache_size, 64 << 20);
    assert_eq!(c.column_index_size, 4 << 10);
    assert!(c.commitlog_preallocate);
    assert_eq!(
        c.seeds,
        vec!["10.0.0.1:7000".to_string(), "10.0.0.2".to_string()]
    );
    assert_eq!(
        c.data_file_directories,
        vec![PathBuf::from("/var/lib/h/data")]
    );
    assert_eq!(c.commitlog_directory, PathBuf::from("/var/lib/h/cl"));
}

#[test]
fn config_rejects_unknown_key_by_name() {
    let e = parse("cluster_name: x\nhinted_handoff_enabled_typo: true\n").unwrap_err();
    assert!(e.to_string().contains("hinted_handoff_enabled_typo"), "{e}");
}

#[test]
fn config_rejects_bad_units_with_key_name() {
    let e = parse("commitlog_segment_size: 32 parsecs\n").unwrap_err();
    assert!(e.to_string().contains("commitlog_segment_size"), "{e}");
    let e = parse("num_tokens: 0\n").unwrap_err();
    assert!(e.to_string().contains("num_tokens"), "{e}");
    let e = parse("column_index_size: 8B\n").unwrap_err();
    assert!(e.to_string().contains("column_index_size"), "{e}");
}

#[test]
fn cli_overrides_file() {
    let f = FileConfig::parse(
        "native_transport_port: 1\nlisten_address: 127.0.0.2\n",
        Path::new("x"),
    )
    .unwrap();
    let cli = Cli {
        native_port: Some(2),
        data_dir: Some(PathBuf::from("/tmp/h")),
        ..Cli::default()
    };
    let c = Config::resolve(f, &cli).unwrap();
    assert_eq!(c.native_port, 2);
    assert_eq!(c.listen_address.to_string(), "127.0.0.2");
    assert_eq!(c.rpc_address.to_string(), "127.0.0.2");
    assert_eq!(c.data_file_directories, vec![PathBuf::from("/tmp/h/data")]);
    assert_eq!(c.commitlog_directory, PathBuf::from("/tmp/h/commitlog"));
}
