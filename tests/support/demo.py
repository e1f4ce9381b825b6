"""Demo fixtures: the running ``make run`` service played by this test's app.

The demo commands find the service through ``instance/run.json``; here the app's instance
folder is the test's temporary folder (never the checkout's, where a real ``make run`` may be
writing), and HTTP to the service reaches this app's test client, whose worker processes each
delivery as it comes.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient


@dataclass
class FakeService:
    """What reached "the running service": the URLs the commands called."""

    instance: Path
    called: list[str] = field(default_factory=list)

    def write_run_file(self, **values: Any) -> None:
        (self.instance / "run.json").write_text(json.dumps(values))


def outbox_mails(outbox: Path) -> list[email.message.EmailMessage]:
    """The mails in a file outbox, oldest file name first."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


@pytest.fixture()
def running_service(
    app: Flask,
    client: FlaskClient,
    run_jobs: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[FakeService]:
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setattr(app, "instance_path", str(instance))
    service = FakeService(instance)

    def get(url: str, timeout: float, **_: Any) -> Any:
        service.called.append(url)
        return client.get(urlsplit(url).path)

    def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> Any:
        service.called.append(url)
        response = client.post(urlsplit(url).path, data=data, headers=headers)
        run_jobs("events")  # the running service's worker
        return response

    monkeypatch.setattr(requests, "get", get)
    monkeypatch.setattr(requests, "post", post)
    yield service


@pytest.fixture()
def demo_cli(app: Flask, running_service: FakeService, run_jobs: Callable[..., int]) -> Any:
    """``flask storeflow <command> ...`` against the running service; returns its output."""
    runner = app.test_cli_runner()

    def invoke(*args: str) -> str:
        result = runner.invoke(args=["storeflow", *args])
        assert result.exit_code == 0, result.output
        run_jobs()
        return result.output

    return invoke
