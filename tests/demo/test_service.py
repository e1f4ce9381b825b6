"""The demo commands find the running `make run` service (any PORT, its embedded Redis)
through instance/run.json, and say plainly when there is none."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from app.demo.seed import seed
from app.demo.service import (
    RunningService,
    ServiceNotRunning,
    database_label,
    find_service,
    pointed_at,
)
from app.pipeline import queues


def _dead_pid() -> int:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(finished.stdout)


def test_demo_cart_posts_to_the_url_in_the_run_file_and_points_jobs_at_its_redis(
    app, demo_cli, running_service, backends, monkeypatch
):
    seed()
    running_service.write_run_file(
        public_url="http://127.0.0.1:5077",
        redis_url=backends.redis_url,
        database=database_label(app.config["SQLALCHEMY_DATABASE_URI"]),
        pid=os.getpid(),
    )
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # not the service's

    output = demo_cli("demo-cart", "--cart", "c-77")

    assert "to http://127.0.0.1:5077: HTTP 200" in output
    assert running_service.called == [
        "http://127.0.0.1:5077/healthz",
        "http://127.0.0.1:5077/webhooks/demo",
    ]
    assert app.config["PUBLIC_URL"] == "http://storeflow.test"  # pointed only for the command


def test_pointed_at_gives_links_and_jobs_the_service_url_and_redis_then_restores(app, backends):
    service = RunningService("http://127.0.0.1:5077", "redis://127.0.0.1:6390/3", "db")
    before = queues.redis_connection()
    with pointed_at(app, service):
        kwargs = queues.redis_connection().connection_pool.connection_kwargs
        assert (kwargs["port"], kwargs["db"]) == (6390, 3)
        assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5077"
    assert queues.redis_connection() is before
    assert app.config["REDIS_URL"] == backends.redis_url


def test_without_a_running_service_a_demo_command_says_so_and_fails(
    app, running_service, monkeypatch
):
    seed()
    monkeypatch.setattr("requests.get", _refused)
    result = app.test_cli_runner().invoke(args=["storeflow", "demo-cart"])

    assert result.exit_code == 1
    assert "no Storeflow service answers at http://storeflow.test" in result.output
    assert "make run" in result.output and "Traceback" not in result.output


def test_a_run_file_left_by_a_stopped_service_is_named_not_used(app, running_service):
    running_service.write_run_file(
        public_url="http://127.0.0.1:5077",
        redis_url="redis://127.0.0.1:6390/0",
        database=database_label(app.config["SQLALCHEMY_DATABASE_URI"]),
        pid=_dead_pid(),
    )
    result = app.test_cli_runner().invoke(args=["storeflow", "demo-cross-sell"])

    assert result.exit_code == 1
    assert "`make run` is not running" in result.output and "has exited" in result.output
    assert running_service.called == []


def test_a_command_on_another_database_than_the_service_is_refused(app, running_service):
    running_service.write_run_file(
        public_url="http://127.0.0.1:5077",
        redis_url="redis://127.0.0.1:6390/0",
        database="sqlite:////elsewhere/storeflow.db",
        pid=os.getpid(),
    )
    with pytest.raises(
        ServiceNotRunning, match=r"uses the database sqlite:////elsewhere/storeflow\.db"
    ):
        find_service(app)


def _refused(url: str, **_: object) -> object:
    raise requests.ConnectionError(f"connection refused: {url}")
