"""``gunicorn.conf.py``: how many sync workers the Procfile's web process runs."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _settings(monkeypatch: pytest.MonkeyPatch, cores: int, concurrency: str | None) -> Any:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    if concurrency is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
    return runpy.run_path(str(CONF))


def test_web_concurrency_sets_the_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settings(monkeypatch, cores=2, concurrency="3")["workers"] == 3
    assert _settings(monkeypatch, cores=64, concurrency="1")["workers"] == 1


def test_without_web_concurrency_two_workers_per_core_plus_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _settings(monkeypatch, cores=1, concurrency=None)["workers"] == 3
    assert _settings(monkeypatch, cores=2, concurrency=None)["workers"] == 5
    assert _settings(monkeypatch, cores=2, concurrency="")["workers"] == 5


def test_many_cores_get_at_most_nine_workers_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settings(monkeypatch, cores=4, concurrency=None)["workers"] == 9
    assert _settings(monkeypatch, cores=64, concurrency=None)["workers"] == 9


def test_the_procfile_web_line_loads_these_settings() -> None:
    procfile = (CONF.parent / "Procfile").read_text().splitlines()
    web = next(line for line in procfile if line.startswith("web:"))
    assert "--config gunicorn.conf.py" in web
    assert "--workers" not in web  # the number comes from the settings alone
