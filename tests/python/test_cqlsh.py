"""cqlsh (from PyPI) scripted against a real node: DDL, inserts, selects, server-side
DESCRIBE and a syntax error message, with -e and -f."""

import os
import shutil
import subprocess
import sys
from pathlib import Path


def cqlsh_bin():
    exe = Path(sys.executable).parent / "cqlsh"
    return str(exe) if exe.exists() else shutil.which("cqlsh")


def cqlsh(node, *args, timeout=120):
    env = dict(os.environ, CQLSH_NO_BUNDLED="TRUE")
    p = subprocess.run(
        [cqlsh_bin(), "127.0.0.1", str(node.port), "--connect-timeout", "30", "--request-timeout", "60", *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    return p.returncode, p.stdout, p.stderr


def test_cqlsh_create_insert_select_describe(node, tmp_path):
    script = tmp_path / "setup.cql"
    script.write_text(
        "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\n"
        "CREATE TABLE shop.items (id int PRIMARY KEY, name text, price int);\n"
        "INSERT INTO shop.items (id, name, price) VALUES (1, 'apple', 3);\n"
        "INSERT INTO shop.items (id, name, price) VALUES (2, 'pear', 4);\n"
    )
    code, out, err = cqlsh(node, "-f", str(script))
    assert code == 0, out + err + node.log()

    code, out, err = cqlsh(node, "-e", "SELECT id, name, price FROM shop.items")
    assert code == 0, out + err
    assert "apple" in out and "pear" in out, out
    assert "(2 rows)" in out, out
    # The node reports the release cqlsh was built for, so cqlsh does not warn.
    assert "was built against" not in out + err, out + err

    code, out, err = cqlsh(node, "-e", "DESCRIBE KEYSPACE shop")
    assert code == 0, out + err
    assert "CREATE KEYSPACE shop" in out, out
    assert "CREATE TABLE shop.items" in out, out

    code, out, err = cqlsh(node, "-e", "DESCRIBE TABLE shop.items")
    assert code == 0, out + err
    assert "CREATE TABLE shop.items" in out and "PRIMARY KEY" in out, out


def test_cqlsh_syntax_error_is_clear(node):
    code, out, err = cqlsh(node, "-e", "SELEKT * FROM system.local")
    assert code != 0
    assert "SyntaxException" in out + err, out + err
