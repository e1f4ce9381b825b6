"""``make bench``: every benchmark, one after another, then ONE table of the goals.

Each benchmark runs in its own process (its own memory, its own gunicorn or worker), prints
its detailed tables into ``bench/out/<name>.txt`` (and to the terminal with ``-v``), and
reports each goal as a JSON line (``scratch.report``). The table lists every goal with the
measured value, the goal, whether it holds and the baseline measured in the same run. A
benchmark that fails shows as a row saying so, never as a missing row.

Sizes: ``BENCH_SCALE=full`` (default; the sizes the goals name) or ``small`` (a smoke run).
Database server and Redis: ``STOREFLOW_BENCH_DATABASE_URL``, ``STOREFLOW_BENCH_REDIS_URL``.

    PYTHONPATH=.:bench .venv/bin/python bench/run_all.py [-v] [name ...]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
from scratch import REDIS_URL, SCALE, SERVER

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# (script, the goals it reports: a missing one is shown as "no result").
BENCHMARKS: list[tuple[str, tuple[str, ...]]] = [
    ("ingest", ("ingest: req/s", "ingest: p99", "ingest: lost")),
    ("pipeline", ("pipeline: deliveries/s",)),
    ("pipeline_lag", ("pipeline: lag p99",)),
    ("history_import", ("history import: 200,000", "history import: flow runs")),
    ("idle_scan", ("idle scan, first run", "RFM scores")),
    ("render", ("render: emails/s", "render: vs node")),
    ("shopify_bulk_import", ("catalog: Shopify bulk,", "catalog: Shopify bulk, peak RSS")),
    ("woo_catalog", ("catalog: WooCommerce",)),
    ("labels", ("labels: own A6", "labels: ", "labels: ", "tracking plan")),
    ("collector", ("collector: events/s", "collector: stored")),
    ("browse_scan", ("browse scan",)),
    ("recs", ("recs:",)),
    ("send_times", ("send times:",)),
    ("engagement", ("engagement scores",)),
]


def machine() -> list[str]:
    """What the figures were measured on."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        ram = int(meminfo.readline().split()[1]) / 2**20
    with psycopg.connect(f"{SERVER}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        postgres = row[0] if row else "?"
    redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, BENCH_SCALE={SCALE}",
        f"machine: {os.cpu_count()} cores, {model}, {ram:.1f} GiB RAM, "
        f"Python {platform.python_version()}",
        f"PostgreSQL {postgres}, Redis {redis_version}",
    ]


def run(name: str, results: Path, verbose: bool) -> tuple[int, float]:
    """Run one benchmark; (exit status, wall seconds). Its output goes to bench/out/."""
    OUT.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "BENCH_RESULTS": str(results),
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), str(HERE)]),
    }
    started = time.perf_counter()
    with open(OUT / f"{name}.txt", "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(HERE / f"{name}.py")],
            env=env,
            cwd=HERE.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if verbose:
                print(line, end="", flush=True)
        status = process.wait()
    return status, time.perf_counter() - started


def rows_for(name: str, expected: tuple[str, ...], found: list[dict], status: int) -> list[dict]:
    """The benchmark's reported goals; a row per goal it should have reported but did not."""
    rows = list(found)
    missing = list(expected)
    for row in found:
        for prefix in missing:
            if row["goal"].startswith(prefix):
                missing.remove(prefix)
                break
    why = f"{name}.py failed (exit {status}), see bench/out/{name}.txt" if status else "no result"
    for prefix in missing:
        rows.append({"goal": prefix.rstrip(": ,"), "measured": why, "target": "", "holds": None})
    return rows


def render_table(rows: list[dict]) -> str:
    head = ("goal", "measured", "goal", "holds", "baseline (same run)")
    cells = [head] + [
        (
            row["goal"],
            row["measured"],
            row["target"],
            {True: "yes", False: "NO", None: "-"}[row["holds"]],
            row.get("baseline", ""),
        )
        for row in rows
    ]
    widths = [max(len(cell[i]) for cell in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |"
             for cell in cells]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg != "-v"]
    verbose = "-v" in sys.argv[1:]
    chosen = [(n, goals) for n, goals in BENCHMARKS if not args or n in args]
    rows: list[dict] = []
    failed = 0
    with tempfile.TemporaryDirectory() as scratch_dir:
        for name, expected in chosen:
            results = Path(scratch_dir) / f"{name}.jsonl"
            print(f"running {name} ...", file=sys.stderr, flush=True)
            status, seconds = run(name, results, verbose)
            print(f"  {name}: {seconds:.0f} s, exit {status}", file=sys.stderr, flush=True)
            found = []
            if results.exists():
                found = [json.loads(line) for line in results.read_text().splitlines()]
            rows.extend(rows_for(name, expected, found, status))
            failed += status != 0
    print()
    print("\n".join(machine()))
    print()
    print(render_table(rows))
    held = sum(1 for row in rows if row["holds"] is True)
    print(f"\n{held} of {len(rows)} goals hold; details in bench/out/<benchmark>.txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
