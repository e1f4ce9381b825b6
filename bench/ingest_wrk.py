"""Ingest request path: Storeflow's webhook endpoint and storefront collector against a bare
Flask endpoint, under the same gunicorn settings (the Procfile's ``web`` line) and the same wrk
load, measured side by side in one run.

Goals (issues 18 and 14): webhooks >= 1/2 of the bare endpoint's req/s with p99 <= 50 ms at 16
connections and nothing lost (every 200 is in the database, exactly once); the collector >= 1/2
of the bare endpoint and >= 5,000 events/s stored per core (events per CPU second of the web
processes), batches of 10 events.

Load: wrk (Debian's ``wrk`` package) with a Lua script. Webhooks are signed Shopify
``checkouts/create`` deliveries of about 4 kB (the documented payload in
``tests/fixtures/shopify/checkouts_create.json``, each body with its own checkout ids), each
request with its own ``X-Shopify-Webhook-Id``; collector batches carry a new visitor each,
spread over 50 shops. wrk, gunicorn, PostgreSQL and Redis all share this machine's cores: the
ratio to the bare endpoint, measured in the same run, is the figure to read.

Lost: a 200 whose delivery is not stored. wrk stops with up to one request per connection in
flight, which the server may have stored without wrk counting its answer: so stored - answered
must be between 0 and the number of connections, and no delivery id is stored twice.

``STOREFLOW_BENCH_DATABASE_URL`` names the PostgreSQL server (a scratch database
``bench_ingest`` is made and dropped), ``STOREFLOW_BENCH_REDIS_URL`` the Redis database (only
this run's keys are deleted afterwards). ``python bench/ingest_wrk.py [seconds] [rounds]
[--no-rq]``; ``--no-rq`` also serves Storeflow without the RQ job per delivery
(``collector_apps.without_enqueue``): what the request would cost with an outbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa
from redis import Redis
from scratch import database_name, scratch_app, table
from scratch import database_url as scratch_url

from app.config import config_for_tests
from app.models import Shop, StorefrontEvent, WebhookDelivery, db
from app.pipeline.storefront import ensure_collect_key

ROOT = Path(__file__).resolve().parent.parent
DB = f"bench_ingest_{os.getpid()}"
REDIS_URL = os.environ.get("STOREFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CONNECTIONS, THREADS, BATCH, SHOPS = 16, 2, 10, 50
APP_SECRET = "bench-shopify-app-secret"
WEBHOOK_DOMAIN = "bench-0.myshopify.com"
CHECKOUT = ROOT / "tests" / "fixtures" / "shopify" / "checkouts_create.json"
WARM_UP = 3  # seconds of load before each measured run, not counted
BODIES = 500  # distinct signed checkouts; every request still has its own webhook id

WEBHOOK_LUA = r"""
local pool, threads, counter = {}, {}, 0
statuses = {}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("id", made)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    pool[#pool + 1] = {signature, body}
  end
  tag = args[2]
end
function request()
  counter = counter + 1
  local item = pool[(counter % #pool) + 1]
  return wrk.format("POST", "/webhooks/shopify", {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "checkouts/create",
    ["X-Shopify-Shop-Domain"] = "@DOMAIN@",
    ["X-Shopify-Webhook-Id"] = tag .. "-" .. id .. "-" .. counter,
    ["X-Shopify-Hmac-Sha256"] = item[1],
    ["X-Shopify-API-Version"] = "2026-10",
  }, item[2])
end
"""

COLLECT_LUA = r"""
local pool, threads, counter = {}, {}, 0
statuses = {}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("id", made)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do
    local origin, before, after = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    pool[#pool + 1] = {origin, before, after}
  end
  tag = args[2]
end
function request()
  counter = counter + 1
  local item = pool[(counter % #pool) + 1]
  local body = item[2] .. tag .. "-" .. id .. "-" .. counter .. item[3]
  return wrk.format("POST", "/collect/shopify",
    {["Content-Type"] = "text/plain", ["Origin"] = item[1]}, body)
end
"""

COMMON_LUA = r"""
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


@dataclass
class Run:
    """One wrk run against one server."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    cpu_seconds: float = 0.0
    db_cpu_seconds: float = 0.0
    stored: int = 0
    duplicates: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


def _web_command() -> str:
    """The Procfile's ``web`` line, as the platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("no web process in the Procfile")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(database_url: str) -> dict[str, str]:
    keys = config_for_tests(database_url, REDIS_URL)["ENCRYPTION_KEYS"]
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
        "STOREFLOW_ENV": "production",
        "STOREFLOW_DATABASE_URL": database_url,
        "STOREFLOW_REDIS_URL": REDIS_URL,
        "STOREFLOW_PUBLIC_URL": "https://storeflow.bench",
        "STOREFLOW_SECRET_KEY": "bench-secret-key",
        "STOREFLOW_ENCRYPTION_KEYS": ",".join(keys),
        "STOREFLOW_MAIL_URL": "file:///tmp/storeflow-bench-outbox",
        "STOREFLOW_SHOPIFY_API_KEY": "bench-client-id",
        "STOREFLOW_SHOPIFY_API_SECRET": APP_SECRET,
        "STOREFLOW_LOG_LEVEL": "WARNING",
    }


@contextmanager
def _gunicorn(app_spec: str, env: dict[str, str]) -> Iterator[tuple[int, psutil.Process]]:
    """The Procfile's web process serving ``app_spec`` on a free loopback port."""
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / "bench_ingest_gunicorn.log", "ab")  # noqa: SIM115
    command = _web_command().replace('"app:create_app()"', f'"{app_spec}"')
    command = command.replace("0.0.0.0:", "127.0.0.1:")
    server = subprocess.Popen(
        ["sh", "-c", f"exec {command}"],
        env={**env, "PORT": str(port)},
        cwd=ROOT,
        stderr=log,
        start_new_session=True,
    )
    try:
        _wait_for(port, server)
        yield port, psutil.Process(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until a worker answers HTTP (the master listens before its workers have loaded the app)."""
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/bench-ready")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _cpu(master: psutil.Process) -> float:
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _backend_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _backends() -> list[int]:
    """PostgreSQL backends serving the scratch database (the web processes' pooled ones)."""
    rows = db.session.execute(
        sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": database_name(DB)},
    )
    pids = [int(pid) for (pid,) in rows]
    db.session.commit()
    return pids


def _wrk(script: Path, port: int, seconds: float, *args: str) -> Run:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        *args,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^WRKJSON (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = json.loads(match.group(1))
    return Run(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        socket_errors=data["socket_errors"],
        statuses={int(k): v for k, v in data["statuses"].items()},
    )


def _measured(script: Path, port: int, master: psutil.Process, seconds: float, pool: Path) -> Run:
    """A short warm-up (workers connect, caches fill), then the measured run."""
    _wrk(script, port, WARM_UP, str(pool), f"warm{uuid.uuid4().hex[:8]}")
    tag = f"run{uuid.uuid4().hex[:8]}"
    backends = _backends()
    cpu, db_cpu = _cpu(master), _backend_cpu(backends)
    run = _wrk(script, port, seconds, str(pool), tag)
    run.cpu_seconds = _cpu(master) - cpu
    run.db_cpu_seconds = _backend_cpu(backends) - db_cpu
    run.extra["tag"] = tag
    run.extra["backends"] = len(backends)
    return run


def _checkout_pool(path: Path) -> int:
    """Signed checkouts, one a line: base64 HMAC, tab, compact JSON body. Returns body size."""
    checkout = json.loads(CHECKOUT.read_text())
    size = 0
    with path.open("w") as out:
        for n in range(BODIES):
            body = {**checkout, "token": f"bench{n:06d}", "cart_token": f"cart{n:06d}"}
            body["email"] = f"shopper{n}@example.com"
            raw = json.dumps(body, separators=(",", ":"))
            digest = hmac.new(APP_SECRET.encode(), raw.encode(), hashlib.sha256).digest()
            out.write(f"{base64.b64encode(digest).decode()}\t{raw}\n")
            size = len(raw)
    return size


def _collect_pool(path: Path, keys: dict[str, str]) -> None:
    """Per shop: origin, the body up to the visitor id, the body after it."""
    at = datetime.now(UTC).isoformat()
    events = [
        {"type": "product_viewed", "product_id": str(100 + n), "at": at} for n in range(BATCH)
    ]
    with path.open("w") as out:
        for domain, key in keys.items():
            body = json.dumps({"shop": domain, "key": key, "visitor": "@V@", "events": events})
            before, after = body.split("@V@")
            out.write(f"https://{domain}\t{before}\t{after}\n")


def _script(path: Path, body: str) -> Path:
    path.write_text(body.replace("@DOMAIN@", WEBHOOK_DOMAIN) + COMMON_LUA)
    return path


def _make_shops() -> dict[str, str]:
    keys = {}
    for n in range(SHOPS):
        domain = f"bench-{n}.myshopify.com"
        shop = Shop(platform="shopify", domain=domain, status="active", name=f"Bench {n}")
        db.session.add(shop)
        db.session.flush()
        keys[domain] = ensure_collect_key(shop)
    db.session.commit()
    return keys


def _count_webhooks(run: Run) -> None:
    like = f"{run.extra['tag']}-%"
    rows = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(WebhookDelivery.delivery_id))).where(
            WebhookDelivery.delivery_id.like(like)
        )
    ).one()
    run.stored, run.duplicates = int(rows[0]), int(rows[0]) - int(rows[1])
    db.session.commit()


def _count_events(run: Run) -> None:
    like = f"{run.extra['tag']}-%"
    run.stored = int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StorefrontEvent)
            .where(StorefrontEvent.visitor_id.like(like))
        )
        or 0
    )
    db.session.commit()


def _forget_keys() -> None:
    """This run's Redis keys: the jobs it enqueued, the events queue, the collect limits."""
    redis = Redis.from_url(REDIS_URL)
    for pattern in ("rq:job:delivery-*", "storeflow:limit:collect-*", "storeflow:lazy:collect-*"):
        for key in redis.scan_iter(pattern, count=1000):
            redis.delete(key)
    redis.delete("rq:queue:events")


def _lost(run: Run, ok_status: int, per_request: int) -> tuple[int, int]:
    """(answered but not stored, stored but unanswered when wrk stopped), in requests."""
    answered = run.count(ok_status)
    stored = run.stored // per_request
    return max(answered - stored, 0), max(stored - answered, 0)


def _per_request_ms(seconds: float, run: Run) -> float:
    return seconds * 1000 / run.requests if run.requests else 0.0


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _rows(name: str, bare: Run, ours: Run, ok: int, per_request: int) -> list[tuple[str, ...]]:
    rows = []
    for server, run in (("bare Flask", bare), ("Storeflow", ours)):
        if name == NO_RQ and run is bare:
            continue  # the webhooks' own bare row, measured in the same round
        other = sum(n for status, n in run.statuses.items() if status != ok) + run.socket_errors
        stored = f"{run.stored:,}" if run is ours else "-"
        rows.append(
            (
                f"{name}: {server}",
                f"{run.per_second:,.0f}",
                _ms(run.p50_ms),
                _ms(run.p99_ms),
                f"{run.count(ok):,}",
                f"{other:,}",
                stored,
                f"{run.cpu_seconds:.1f}",
                f"{_per_request_ms(run.cpu_seconds, run):.2f}",
                f"{run.db_cpu_seconds:.1f}" if run is ours else "-",
                f"{_per_request_ms(run.db_cpu_seconds, run):.2f}" if run is ours else "-",
            )
        )
    return rows


NO_RQ = "webhooks, no RQ job"


def _serve_and_load(
    url: str, seconds: float, rounds: int, pools: dict[str, Path], work: Path, no_rq: bool
) -> dict[str, list[tuple[Run, Run]]]:
    env = _server_env(url)
    webhook_lua = _script(work / "webhook.lua", WEBHOOK_LUA)
    collect_lua = _script(work / "collect.lua", COLLECT_LUA)
    results: dict[str, list[tuple[Run, Run]]] = {"webhooks": [], "collector": []}
    if no_rq:
        results[NO_RQ] = []
    for _ in range(rounds):
        # Bare then ours, round after round: a busy spell on the machine hits both.
        for name, script in (("webhooks", webhook_lua), ("collector", collect_lua)):
            with _gunicorn("collector_apps:bare()", env) as (port, master):
                bare = _measured(script, port, master, seconds, pools[name])
            with _gunicorn("app:create_app()", env) as (port, master):
                ours = _measured(script, port, master, seconds, pools[name])
            (_count_webhooks if name == "webhooks" else _count_events)(ours)
            results[name].append((bare, ours))
            if name == "webhooks" and no_rq:
                with _gunicorn("collector_apps:without_enqueue()", env) as (port, master):
                    lean = _measured(script, port, master, seconds, pools[name])
                _count_webhooks(lean)
                results[NO_RQ].append((bare, lean))
    return results


def _median(pairs: list[tuple[Run, Run]]) -> tuple[Run, Run]:
    """The round with the median ratio of ours to bare (both measured back to back)."""
    ranked = sorted(pairs, key=lambda pair: pair[1].per_second / max(pair[0].per_second, 1e-9))
    return ranked[len(ranked) // 2]


def _report(results: dict[str, list[tuple[Run, Run]]], body_size: int) -> dict[str, Any]:
    header = ("endpoint", "req/s", "p50 ms", "p99 ms", "2xx", "other", "stored", "web CPU s")
    rows: list[tuple[str, ...]] = [(*header, "web ms/req", "db CPU s", "db ms/req")]
    summary: dict[str, Any] = {}
    endpoints = [("webhooks", 200, 1), ("collector", 204, BATCH)]
    if NO_RQ in results:
        endpoints.insert(1, (NO_RQ, 200, 1))
    for name, ok, per_request in endpoints:
        for bare, ours in results[name]:
            rows.extend(_rows(name, bare, ours, ok, per_request))
        bare, ours = _median(results[name])
        lost, in_flight = _lost(ours, ok, per_request)
        entry = {
            "bare_per_second": bare.per_second,
            "per_second": ours.per_second,
            "ratio": ours.per_second / bare.per_second if bare.per_second else 0.0,
            "ratios": [o.per_second / b.per_second for b, o in results[name] if b.per_second],
            "p50_ms": ours.p50_ms,
            "p99_ms": ours.p99_ms,
            "bare_cpu_ms": _per_request_ms(bare.cpu_seconds, bare),
            "web_cpu_ms": _per_request_ms(ours.cpu_seconds, ours),
            "db_cpu_ms": _per_request_ms(ours.db_cpu_seconds, ours),
            "answered": ours.count(ok),
            "stored": ours.stored,
            "lost": lost,
            "in_flight_at_stop": in_flight,
            "duplicates": ours.duplicates,
            "failed": sum(n for s, n in ours.statuses.items() if s != ok) + ours.socket_errors,
        }
        if name == "collector":
            events = ours.count(ok) * BATCH
            entry["events_per_second"] = events / ours.seconds if ours.seconds else 0.0
            entry["events_per_web_core"] = events / ours.cpu_seconds if ours.cpu_seconds else 0.0
            both = ours.cpu_seconds + ours.db_cpu_seconds
            entry["events_per_core_with_db"] = events / both if both else 0.0
        summary[name] = entry
    print(table(rows))
    print(
        f"\n{CONNECTIONS} connections, {THREADS} wrk threads; gunicorn as the Procfile says "
        f"({_web_command()}); webhook bodies {body_size:,} bytes; collector batches of {BATCH} "
        f"events over {SHOPS} shops; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores (other work on the machine counts against both rows)."
    )
    _print_goals(summary)
    return summary


def _print_goals(summary: dict[str, Any]) -> None:
    def mark(ok: bool) -> str:
        return "yes" if ok else "NO"

    hooks, coll = summary["webhooks"], summary["collector"]
    ratios = ", ".join(f"{r:.2f}" for r in hooks["ratios"])
    print(
        f"\nwebhooks / bare: {hooks['ratio']:.2f} median of rounds [{ratios}] (goal >= 0.50: "
        f"{mark(hooks['ratio'] >= 0.5)})"
    )
    print(f"webhooks p99: {hooks['p99_ms']:.1f} ms (goal <= 50: {mark(hooks['p99_ms'] <= 50)})")
    print(
        f"webhooks lost: {hooks['lost']} of {hooks['answered']:,} answered 200, "
        f"{hooks['duplicates']} stored twice, {hooks['in_flight_at_stop']} stored while wrk "
        f"stopped (<= {CONNECTIONS} expected) (goal 0 lost: "
        f"{mark(hooks['lost'] == 0 and hooks['duplicates'] == 0)})"
    )
    print(
        f"web CPU per webhook: {hooks['web_cpu_ms']:.2f} ms (bare {hooks['bare_cpu_ms']:.2f} ms), "
        f"PostgreSQL {hooks['db_cpu_ms']:.2f} ms"
    )
    if NO_RQ in summary:
        lean = summary[NO_RQ]
        ratios = ", ".join(f"{r:.2f}" for r in lean["ratios"])
        print(
            f"webhooks without the RQ job (what the outbox buys) / bare: {lean['ratio']:.2f} "
            f"median of rounds [{ratios}], p99 {lean['p99_ms']:.1f} ms, web CPU "
            f"{lean['web_cpu_ms']:.2f} ms per webhook, lost {lean['lost']}, "
            f"{lean['duplicates']} stored twice"
        )
    ratios = ", ".join(f"{r:.2f}" for r in coll["ratios"])
    print(
        f"collector / bare: {coll['ratio']:.2f} median of rounds [{ratios}] (goal >= 0.50: "
        f"{mark(coll['ratio'] >= 0.5)})"
    )
    print(
        f"collector stored per web core: {coll['events_per_web_core']:,.0f} events/s "
        f"(goal >= 5,000: {mark(coll['events_per_web_core'] >= 5000)}); counting PostgreSQL's "
        f"backends too: {coll['events_per_core_with_db']:,.0f}/s; lost {coll['lost']} batches"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table and goals; the figures as a dict."""
    argv = sys.argv[1:] if argv is None else argv
    no_rq = "--no-rq" in argv
    argv = [arg for arg in argv if arg != "--no-rq"]
    seconds = float(argv[0]) if argv else 10.0
    rounds = int(argv[1]) if len(argv) > 1 else 2
    if shutil.which("wrk") is None:
        raise SystemExit("bench/ingest_wrk.py needs wrk: apt-get install -y wrk")
    with scratch_app(DB), tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        work = Path(tmp)
        keys = _make_shops()
        pools = {"webhooks": work / "checkouts.tsv", "collector": work / "batches.tsv"}
        body_size = _checkout_pool(pools["webhooks"])
        _collect_pool(pools["collector"], keys)
        db.session.remove()
        try:
            results = _serve_and_load(scratch_url(DB), seconds, rounds, pools, work, no_rq)
            return _report(results, body_size)
        finally:
            _forget_keys()


if __name__ == "__main__":
    main()
