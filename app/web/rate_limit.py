"""A fixed-window request limit kept in Redis, for endpoints anyone on the internet can call.

Each (name, key) pair may be hit ``limit`` times per ``window`` seconds across all web
processes. With Redis down the request is allowed (and logged): refusing every merchant's
Connect because our queue store blinked would be worse than a short unlimited spell.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)


def over_limit(name: str, key: str, *, limit: int, window: int) -> int | None:
    """Seconds until the window ends when this hit is over the limit; None when allowed."""
    redis_key = f"storeflow:limit:{name}:{key}"
    try:
        conn = queues.redis_connection()
        pipe = conn.pipeline()
        # SET NX EX starts the window once (EXPIRE NX needs Redis 7; make run's is older).
        pipe.set(redis_key, 0, ex=window, nx=True)
        pipe.incr(redis_key)
        pipe.ttl(redis_key)
        _, hits, ttl = pipe.execute()
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=name))
        return None
    return max(int(ttl), 1) if int(hits) > limit else None


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
