"""An app served by gunicorn for a benchmark, the way the Procfile's ``web`` serves ours."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    """Until a worker answers HTTP: gunicorn's master listens before its workers have loaded
    the app, and a run that starts then measures the app's start-up, not its throughput."""
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def cpu_seconds(master: psutil.Process) -> float:
    """User + system CPU of the gunicorn master and its workers so far."""
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


@contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> Iterator[psutil.Process]:
    """``gunicorn -w workers app`` on 127.0.0.1:port (sync workers, 30 s timeout, as the
    Procfile), answering once this yields; stopped afterwards."""
    path = os.pathsep.join([str(HERE.parent), str(HERE)])
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "30"),
            *("--log-level", "warning", app),
        ],
        env={**os.environ, **env, "PYTHONPATH": path},
        cwd=HERE,
    )
    try:
        wait_for(port)
        yield psutil.Process(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
