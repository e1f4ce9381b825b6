"""Jobs run inside the worker's one app, each in its own app context."""

from __future__ import annotations

import threading

import pytest
from flask import Flask, current_app, has_app_context

from app.pipeline import queues


@queues.job("events", timeout=5, retry=None)
def _which_app() -> tuple[str, int]:
    return current_app.name, id(current_app._get_current_object())  # type: ignore[attr-defined]


def _outside_any_app_context(func):  # the worker's thread has no app context of its own
    result: dict[str, object] = {}

    def target() -> None:
        assert not has_app_context()
        try:
            result["value"] = func()
        except Exception as exc:  # handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return result


def test_a_job_outside_a_worker_says_how_to_start_workers(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(queues, "_worker_app", None)
    result = _outside_any_app_context(_which_app)
    assert "rq worker -c app.pipeline.worker_settings" in str(result["error"])


def test_a_job_runs_in_the_app_the_worker_settings_serve(app: Flask, monkeypatch):
    monkeypatch.setattr(queues, "_worker_app", None)
    queues.serve_jobs_with(app)
    result = _outside_any_app_context(_which_app)
    assert result == {"value": (app.name, id(app))}
