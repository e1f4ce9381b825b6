"""``make bench`` in its small size: every benchmark still runs and the one table comes out.

A smoke run, not a measurement: its figures mean nothing and nothing here asserts a time.
What it catches is a benchmark that no longer runs against today's code and schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.backends import Backends

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from run_all import BENCHMARKS  # noqa: E402


def test_small_bench_run_prints_one_row_per_goal(backends: Backends, app: Flask) -> None:
    if not backends.is_postgres:
        pytest.skip("the benchmarks need PostgreSQL")
    server, _, database = backends.database_url.rpartition("/")
    env = {
        **os.environ,
        "BENCH_SCALE": "small",
        "STOREFLOW_BENCH_DATABASE_URL": server,
        "STOREFLOW_BENCH_REDIS_URL": backends.redis_url,
        # Scratch databases of their own: another checkout's run may be going on the server.
        "BENCH_DB_SUFFIX": f"_{database}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| goal ")]
    assert any(line.startswith("| goal ") for line in lines)
    assert any(line.startswith("PostgreSQL ") for line in lines)
    goals = [prefix for _, expected in BENCHMARKS for prefix in expected]
    assert len(rows) == len(goals)
    for prefix in goals:
        assert any(row.startswith("| " + prefix) for row in rows), prefix
    assert not [row for row in rows if "failed (exit" in row or "no result" in row]
