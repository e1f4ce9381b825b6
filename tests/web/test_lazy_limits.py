"""The collector's limits, counted in each process and shared through Redis every tenth of a
second (``rate_limit.LazyLimits``): two processes' hits add up, with no round trip per hit."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.client import Pipeline

from app import create_app
from app.config import config_for_tests
from app.web.rate_limit import LazyLimits
from tests.backends import Backends

WINDOW = 60
START = 1_800_000_000.0  # a time at the start of a 60-second window (divisible by 60)
LIMIT = 4


def _checks(visitor: str = "v1", limit: int = LIMIT) -> list[tuple[str, str, int]]:
    return [("collect-visitor", f"7:{visitor}", limit)]


def _hits(limits: LazyLimits, n: int, at: float = START, **checks: Any) -> list[int | None]:
    return [limits.hit(_checks(**checks), window=WINDOW, now=at + 1) for _ in range(n)]


def test_each_process_refuses_past_the_limit_on_its_own_count_before_any_sync(app: Flask):
    limits = LazyLimits(app)
    answers = _hits(limits, LIMIT + 1)
    assert answers[:LIMIT] == [None] * LIMIT
    assert answers[LIMIT] == WINDOW - 1  # seconds left in the window (hit at its 1st second)


def test_two_processes_hits_add_up_in_redis_and_both_refuse_after_their_sync(
    app: Flask, redis_conn: Redis
):
    first, second = LazyLimits(app), LazyLimits(app)
    assert _hits(first, 3) == [None] * 3
    assert _hits(second, 1) == [None]  # 4 in all: at the limit, not over
    first.sync()
    second.sync()
    key = f"storeflow:lazy:collect-visitor:7:v1:{int(START // WINDOW)}"
    assert int(redis_conn.get(key) or 0) == 4
    assert 0 < redis_conn.ttl(key) <= WINDOW + 5
    # The second sent last and heard 4 in all: the fifth hit is over the limit there.
    assert _hits(second, 1) == [WINDOW - 1]
    # The first heard 3 (it sent before the second): it lets one more through, and hears the
    # others' hits when it sends it. That is the most a process lets through past the limit:
    # what it takes between two syncs.
    assert _hits(first, 1) == [None]
    first.sync()
    assert int(redis_conn.get(key) or 0) == 5  # the second's refused hit is not sent yet
    assert _hits(first, 1) == [WINDOW - 1]
    # Another visitor is not touched by it.
    assert _hits(first, 1, visitor="v2") == [None]


def test_a_new_window_starts_counting_again(app: Flask):
    limits = LazyLimits(app)
    assert _hits(limits, LIMIT + 1)[-1] is not None
    assert _hits(limits, 1, at=START + WINDOW) == [None]


def test_with_redis_away_a_process_still_limits_on_its_own_count_and_sends_later(
    backends: Backends, redis_conn: Redis, caplog: pytest.LogCaptureFixture
):
    away = create_app(config_for_tests(backends.database_url, "redis://127.0.0.1:1/0"))
    limits = LazyLimits(away)
    assert _hits(limits, LIMIT) == [None] * LIMIT
    with caplog.at_level(logging.WARNING):
        limits.sync()  # no exception: logged, the hits kept to send with the next sync
    assert "rate limit unavailable" in caplog.text
    assert _hits(limits, 1) == [WINDOW - 1]
    # Redis back (this process pointed at the tests' Redis): the kept hits reach it.
    away.config["REDIS_URL"] = backends.redis_url
    away.extensions.clear()
    limits.sync()
    key = f"storeflow:lazy:collect-visitor:7:v1:{int(START // WINDOW)}"
    assert int(redis_conn.get(key) or 0) == LIMIT + 1


def test_a_hit_counted_while_a_sync_waits_on_redis_still_counts(
    app: Flask, redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
):
    limits = LazyLimits(app)
    during: list[int | None] = []
    send = Pipeline.execute

    def hit_then_send(pipe: Pipeline, *args: Any, **kwargs: Any) -> Any:
        if not during:  # the first sync (this test's or the process's thread's)
            # Two requests counted after the sync took the hits to send, before Redis answered.
            during.extend(_hits(limits, 2))
        return send(pipe, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", hit_then_send)
    assert _hits(limits, 3) == [None] * 3
    limits.sync()  # after the thread's, if that one came first: one sync at a time
    # 3 being sent + 1 = the limit; the fifth is over it, though Redis had not answered yet.
    assert during == [None, WINDOW - 1]
    limits.sync()
    key = f"storeflow:lazy:collect-visitor:7:v1:{int(START // WINDOW)}"
    assert int(redis_conn.get(key) or 0) == 5  # each hit sent once
    assert _hits(limits, 1) == [WINDOW - 1]
    limits.sync()
    assert int(redis_conn.get(key) or 0) == 6
