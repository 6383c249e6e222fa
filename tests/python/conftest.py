"""Starts a real `helenus` node for the Python tests: a free port on 127.0.0.1, a
temporary data directory, batch commit log, logs in DIR/node.log. The binary is
$HELENUS_BIN or target/debug/helenus (tests/run.sh builds it first)."""

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def helenus_bin():
    if os.environ.get("HELENUS_BIN"):
        return os.environ["HELENUS_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "helenus")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, data_dir):
        self.dir = Path(data_dir)
        self.port = free_port()
        self.storage_port = free_port()
        # Each node its own admin port: several nodes run at once and 7199 fits only one.
        self.admin_port = free_port()
        self.proc = None

    @property
    def log_path(self):
        return self.dir / "node.log"

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self):
        assert self.proc is None
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [helenus_bin(), "--data-dir", str(self.dir), "--listen-address", "127.0.0.1",
             "--native-port", str(self.port), "--storage-port", str(self.storage_port),
             "--admin-port", str(self.admin_port), "--commitlog-sync", "batch"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, RUST_LOG=os.environ.get("HELENUS_TEST_LOG", "info")),
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"helenus exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"helenus did not open port {self.port}:\n{self.log()}")

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"helenus ignored SIGTERM:\n{self.log()}")
        self.proc = None
        return code

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def node():
    with tempfile.TemporaryDirectory(prefix="helenus-py-") as d:
        n = Node(d)
        n.start()
        try:
            yield n
        finally:
            n.kill()
