"""A fixed-window request limit kept in Redis, for endpoints anyone on the internet can call.

Each (name, key) pair may be hit ``limit`` times per ``window`` seconds across all web
processes. With Redis down the request is allowed (and logged): refusing every merchant's
Connect because our queue store blinked would be worse than a short unlimited spell.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)


def over_limit(name: str, key: str, *, limit: int, window: int) -> int | None:
    """Seconds until the window ends when this hit is over the limit; None when allowed."""
    return over_limits([(name, key, limit)], window=window)


# Per key: start the window once (SET NX EX: EXPIRE NX needs Redis 7, make run's is older),
# count the hit, read the window's end. One command for every limit (EVALSHA; redis-py loads
# the script once per server when it is missing), atomic as the MULTI/EXEC it replaces, and a
# third of the client's CPU: a pipeline of three commands per limit was most of what the
# collector's rate limits cost.
_COUNT_HITS = """
local replies = {}
for _, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')
  replies[#replies + 1] = redis.call('INCR', key)
  replies[#replies + 1] = redis.call('TTL', key)
end
return replies
"""


def over_limits(checks: Sequence[tuple[str, str, int]], *, window: int) -> int | None:
    """Count this hit on every ``(name, key, limit)`` in one round trip; the longest wait among
    the limits it is over, None when all allow it. Every limit counts the hit, refused or not
    (one round trip cannot count the second only when the first allows)."""
    keys = [f"storeflow:limit:{name}:{key}" for name, key, _limit in checks]
    try:
        replies = _count_hits(queues.redis_connection())(keys=keys, args=[window])
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=checks[0][0]))
        return None
    waits = [
        max(int(replies[2 * n + 1]), 1)
        for n, (_name, _key, limit) in enumerate(checks)
        if int(replies[2 * n]) > limit
    ]
    return max(waits) if waits else None


_SCRIPTS: weakref.WeakKeyDictionary[Redis, Script] = weakref.WeakKeyDictionary()


def _count_hits(conn: Redis) -> Script:
    """The script bound to this client (each app has its own Redis client)."""
    script = _SCRIPTS.get(conn)
    if script is None:
        script = _SCRIPTS[conn] = conn.register_script(_COUNT_HITS)
    return script


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
