"""A fixed-window request limit kept in Redis, for endpoints anyone on the internet can call.

Each (name, key) pair may be hit ``limit`` times per ``window`` seconds across all web
processes. With Redis down the request is allowed (and logged): refusing every merchant's
Connect because our queue store blinked would be worse than a short unlimited spell.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from redis.exceptions import RedisError

from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)


def over_limit(name: str, key: str, *, limit: int, window: int) -> int | None:
    """Seconds until the window ends when this hit is over the limit; None when allowed."""
    return over_limits([(name, key, limit)], window=window)


def over_limits(checks: Sequence[tuple[str, str, int]], *, window: int) -> int | None:
    """Count this hit on every ``(name, key, limit)`` in one round trip; the longest wait among
    the limits it is over, None when all allow it. Every limit counts the hit, refused or not
    (one pipeline cannot count the second only when the first allows)."""
    try:
        pipe = queues.redis_connection().pipeline()
        for name, key, _limit in checks:
            redis_key = f"storeflow:limit:{name}:{key}"
            # SET NX EX starts the window once (EXPIRE NX needs Redis 7; make run's is older).
            pipe.set(redis_key, 0, ex=window, nx=True)
            pipe.incr(redis_key)
            pipe.ttl(redis_key)
        replies = pipe.execute()
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=checks[0][0]))
        return None
    waits = [
        max(int(replies[3 * n + 2]), 1)
        for n, (_name, _key, limit) in enumerate(checks)
        if int(replies[3 * n + 1]) > limit
    ]
    return max(waits) if waits else None


def blocked_for(name: str, key: str, *, limit: int) -> int | None:
    """Seconds until the window ends when ``limit`` hits are already counted, without counting
    this one: for limits that count only failures (wrong passwords)."""
    redis_key = f"storeflow:limit:{name}:{key}"
    try:
        conn = queues.redis_connection()
        pipe = conn.pipeline()
        pipe.get(redis_key)
        pipe.ttl(redis_key)
        hits, ttl = pipe.execute()
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=name))
        return None
    return max(int(ttl), 1) if hits is not None and int(hits) >= limit else None
