"""Finding the running ``make run`` service, so the demo commands talk to it and no other.

``make run`` may listen on any ``PORT`` and starts its own embedded Redis on a free port: the
commands cannot guess either. It writes ``instance/run.json`` (public URL, Redis URL, database
without password, its pid) on start and removes it on exit; the commands read it, falling back
to the settings when there is none, and refuse with a plain sentence when nothing answers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy.engine import make_url

from app.pipeline.queues import REDIS_EXTENSION

RUN_FILE = "run.json"
START_HINT = "start it with `make run` (in another terminal of this checkout)"


class ServiceNotRunning(Exception):
    """No running service to send the demo's deliveries to; the message says what to do."""


@dataclass(frozen=True)
class RunningService:
    public_url: str
    redis_url: str
    database: str  # the URL without its password: enough to tell two databases apart
    pid: int | None = None


def database_label(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def write_run_file(instance: Path, service: RunningService) -> Path:
    path = instance / RUN_FILE
    path.write_text(json.dumps(asdict(service), indent=2))
    return path


def remove_run_file(instance: Path) -> None:
    (instance / RUN_FILE).unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def read_run_file(instance: Path) -> RunningService | None:
    """What ``make run`` wrote, None when it wrote nothing; refused when its process is gone."""
    path = instance / RUN_FILE
    if not path.exists():
        return None
    try:
        service = RunningService(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise ServiceNotRunning(f"{path} is unreadable ({exc}): {START_HINT}") from None
    if service.pid is not None and not _pid_alive(service.pid):
        raise ServiceNotRunning(
            f"`make run` is not running ({path} names pid {service.pid}, which has exited): "
            + START_HINT
        )
    return service


def find_service(app: Flask) -> RunningService:
    """The service ``make run`` started (else the settings'), checked to answer."""
    service = read_run_file(Path(app.instance_path)) or RunningService(
        public_url=app.config["PUBLIC_URL"],
        redis_url=app.config["REDIS_URL"],
        database=database_label(app.config["SQLALCHEMY_DATABASE_URI"]),
    )
    here = database_label(app.config["SQLALCHEMY_DATABASE_URI"])
    if service.database != here:
        raise ServiceNotRunning(
            f"the running service uses the database {service.database} and this command "
            f"{here}: run the command with the same STOREFLOW_DATABASE_URL"
        )
    try:
        requests.get(f"{service.public_url}/healthz", timeout=5)
    except requests.RequestException:
        raise ServiceNotRunning(
            f"no Storeflow service answers at {service.public_url}: {START_HINT}"
        ) from None
    return service


@contextmanager
def pointed_at(app: Flask, service: RunningService) -> Iterator[None]:
    """Within the block, links name the service's URL and jobs go to the service's Redis."""
    saved = {key: app.config[key] for key in ("PUBLIC_URL", "REDIS_URL")}
    saved_redis = app.extensions.pop(REDIS_EXTENSION, None)
    app.config.update(PUBLIC_URL=service.public_url, REDIS_URL=service.redis_url)
    try:
        yield
    finally:
        app.config.update(saved)
        app.extensions.pop(REDIS_EXTENSION, None)
        if saved_redis is not None:
            app.extensions[REDIS_EXTENSION] = saved_redis
