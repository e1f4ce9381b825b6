"""Erasure reaches Redis: after a redaction commits, every key of our Redis database that holds
one of the erased person's identifiers goes (queued or failed jobs with their arguments and
results, rate-limit keys, anything cached).

``app.events.privacy`` erases the database and leaves the identifiers in the session; this
module takes them once the transaction commits (a rolled-back erasure scrubs nothing: its
delivery is retried). Jobs are deleted through RQ so no queue or registry keeps their id; a
job the database still needs is found again by the minute tick, which re-enqueues from the
database (the database is the truth, Redis only carries work).

Values are searched as stored and, where RQ compresses them (a job's pickled arguments),
decompressed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import zlib
from collections.abc import Iterable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.events.privacy import erased_identifiers
from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)
_JOB_PREFIX = b"rq:job:"


def _needles(identifiers: Iterable[str]) -> list[bytes]:
    found: set[bytes] = set()
    for text in identifiers:
        for variant in (text, json.dumps(text)[1:-1]):
            found.add(variant.lower().encode())
    return sorted(found)


def readable(value: bytes) -> list[bytes]:
    """A stored value, and its decompressed form when it is zlib data (RQ's job payloads)."""
    out = [value]
    with contextlib.suppress(zlib.error):
        out.append(zlib.decompress(value))
    return out


def key_values(conn: Redis, key: bytes) -> list[bytes]:
    """Everything a key holds, whatever its type, as bytes."""
    kind = conn.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    values: list[Any]
    if kind == "string":
        values = [conn.get(key)]
    elif kind == "hash":
        values = [part for item in conn.hgetall(key).items() for part in item]
    elif kind == "list":
        values = list(conn.lrange(key, 0, -1))
    elif kind == "set":
        values = list(conn.smembers(key))
    elif kind == "zset":
        values = list(conn.zrange(key, 0, -1))
    elif kind == "stream":
        entries: Any = conn.xrange(key) or []
        values = [part for _, entry in entries for item in (entry or {}).items() for part in item]
    else:
        values = []
    return [v if isinstance(v, bytes) else str(v).encode() for v in values if v is not None]


def _holds(blobs: Iterable[bytes], needles: list[bytes]) -> bool:
    for blob in blobs:
        for form in readable(blob):
            lowered = form.lower()
            if any(n in lowered for n in needles):
                return True
    return False


def _delete(conn: Redis, key: bytes) -> None:
    job_id = key[len(_JOB_PREFIX) :] if key.startswith(_JOB_PREFIX) else b""
    if job_id and b":" not in job_id:
        # Unreadable job data: the key itself goes below.
        with contextlib.suppress(NoSuchJobError, ValueError, TypeError, AttributeError):
            Job.fetch(job_id.decode(), connection=conn).delete(remove_from_queue=True)
    conn.delete(key)


def scrub_redis(conn: Redis, identifiers: Iterable[str]) -> int:
    """Delete every key holding one of ``identifiers`` (in its name or its values)."""
    needles = _needles(identifiers)
    if not needles:
        return 0
    removed = 0
    for key in conn.scan_iter(count=500):
        if _holds([key], needles) or _holds(key_values(conn, key), needles):
            _delete(conn, key)
            removed += 1
    return removed


@event.listens_for(Session, "after_commit")
def _scrub_after_commit(session: Session) -> None:
    identifiers = erased_identifiers(session)
    if not identifiers:
        return
    try:
        removed = scrub_redis(queues.redis_connection(), identifiers)
    except RedisError:
        # Left behind: failed jobs expire after a week, rate-limit windows within the hour.
        log.warning("redis unreachable; erased identifiers not scrubbed from it", exc_info=True)
        return
    log.info("erasure reached redis", extra=log_fields(redis_keys_removed=removed))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    erased_identifiers(session)
