#!/usr/bin/env bash
# The project's test command: builds the workspace, runs every Rust test (unit and
# integration), then the Python driver and cqlsh tests against real nodes.
#   bash tests/run.sh            everything
#   SKIP_PYTHON=1 bash tests/run.sh   Rust only
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export HELENUS_BIN="$TARGET/debug/helenus"

echo "== cargo build --workspace"
cargo build --workspace --quiet
# The integration tests start this binary.
cargo build -p helenus-server --bin helenus --quiet

echo "== cargo test --workspace"
# Two cores: integration tests each start a node, so keep them few at a time.
cargo test --workspace --quiet -- --test-threads="${TEST_THREADS:-2}"

echo "== benches and fuzz targets still compile (they are not run here)"
cargo check --workspace --benches --quiet
(cd fuzz && cargo check --quiet)

if [ "${SKIP_PYTHON:-0}" = "1" ]; then
    echo "== python tests skipped (SKIP_PYTHON=1)"
    exit 0
fi

echo "== python venv"
VENV="$TARGET/pyvenv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# Install only what is missing (cache-friendly; pip's own cache is used too).
if ! "$VENV/bin/python" -c "import cassandra, pytest, cqlshlib" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check cassandra-driver cqlsh pytest
fi

echo "== pytest tests/python"
PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pytest -q tests/python
