//! The node's identity on disk: host id and vnode tokens, generated once on first start
//! and read back on every restart, so the ring and the drivers' token maps never change
//! under a node. Written atomically (temp file, fsync, rename, fsync directory).

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What `local.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalState {
    pub host_id: Uuid,
    /// Sorted, distinct Murmur3 tokens.
    pub tokens: Vec<i64>,
    /// The cluster this data belongs to: a node refuses to start under another name,
    /// as Cassandra does.
    pub cluster_name: String,
}

/// Reads the state at `path`, or generates and persists it on first start.
pub fn load_or_create(
    path: &Path,
    num_tokens: u16,
    cluster_name: &str,
) -> anyhow::Result<LocalState> {
    if path.exists() {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let state: LocalState = serde_json::from_str(&text)
            .with_context(|| format!("corrupt node state file {}", path.display()))?;
        if state.cluster_name != cluster_name {
            bail!(
                "Saved cluster name {} != configured name {} (data in {})",
                state.cluster_name,
                cluster_name,
                path.display()
            );
        }
        if state.tokens.is_empty() {
            bail!("node state file {} holds no tokens", path.display());
        }
        if state.tokens.len() != usize::from(num_tokens) {
            tracing::warn!(
                saved = state.tokens.len(),
                configured = num_tokens,
                "num_tokens differs from the saved tokens; keeping the saved ones"
            );
        }
        return Ok(state);
    }
    let state = LocalState {
        host_id: Uuid::new_v4(),
        tokens: random_tokens(num_tokens, &mut rand::thread_rng()),
        cluster_name: cluster_name.to_string(),
    };
    write_atomically(path, serde_json::to_string_pretty(&state)?.as_bytes())?;
    tracing::info!(host_id = %state.host_id, tokens = state.tokens.len(), "generated node identity");
    Ok(state)
}

/// `n` distinct tokens in Murmur3's range; i64::MIN is the partitioner's minimum token,
/// which no node owns.
pub fn random_tokens(n: u16, rng: &mut impl Rng) -> Vec<i64> {
    let mut tokens = std::collections::BTreeSet::new();
    while tokens.len() < usize::from(n) {
        tokens.insert(rng.gen_range(i64::MIN + 1..=i64::MAX));
    }
    tokens.into_iter().collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .context("node state path has no parent directory")?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_generated_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("system/local.json");
        let first = load_or_create(&path, 16, "c").unwrap();
        assert_eq!(first.tokens.len(), 16);
        assert!(first.tokens.windows(2).all(|w| w[0] < w[1]));
        assert!(!first.tokens.contains(&i64::MIN));
        let second = load_or_create(&path, 16, "c").unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn identity_refuses_another_cluster_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.json");
        load_or_create(&path, 4, "a").unwrap();
        let e = load_or_create(&path, 4, "b").unwrap_err();
        assert!(
            e.to_string()
                .contains("Saved cluster name a != configured name b"),
            "{e}"
        );
    }

    #[test]
    fn identity_rejects_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.json");
        fs::write(&path, b"{not json").unwrap();
        assert!(load_or_create(&path, 4, "a").is_err());
    }
}
