"""Erasure reaches Redis: after a redaction commits, every key of our Redis database that holds
one of the erased person's identifiers goes (queued or failed jobs with their arguments and
results, rate-limit keys, anything cached). The file outboxes (copies of rendered emails and
texts, in the demo and development) are cleared of them too (``app.emails.outbox``).

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
import re
import zlib
from collections.abc import Iterable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.emails.outbox import erase_from_outboxes
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


# Past this many identifiers (a whole shop's) each value is cut into the emails and phone
# numbers it holds and those are looked up, instead of searching it for every identifier.
_MANY = 64
_EMAIL = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(rb"\+?\d[\d ()-]{5,}\d")


def _digits(value: bytes) -> bytes:
    return bytes(c for c in value if 48 <= c <= 57)


class _Matcher:
    """Whether a value holds one of the identifiers (case-insensitively)."""

    def __init__(self, identifiers: Iterable[str]) -> None:
        self.needles = _needles(identifiers)
        self.many = len(self.needles) > _MANY
        self.emails = {n for n in self.needles if b"@" in n}
        self.phones = {_digits(n) for n in self.needles if b"@" not in n and len(_digits(n)) >= 7}

    def __bool__(self) -> bool:
        return bool(self.needles)

    def _one(self, lowered: bytes) -> bool:
        if not self.many:
            return any(n in lowered for n in self.needles)
        return any(m in self.emails for m in _EMAIL.findall(lowered)) or any(
            _digits(m) in self.phones for m in _PHONE.findall(lowered)
        )

    def holds(self, blobs: Iterable[bytes]) -> bool:
        return any(self._one(form.lower()) for blob in blobs for form in readable(blob))


def _delete(conn: Redis, key: bytes) -> None:
    job_id = key[len(_JOB_PREFIX) :] if key.startswith(_JOB_PREFIX) else b""
    if job_id and b":" not in job_id:
        # Unreadable job data: the key itself goes below.
        with contextlib.suppress(NoSuchJobError, ValueError, TypeError, AttributeError):
            Job.fetch(job_id.decode(), connection=conn).delete(remove_from_queue=True)
    conn.delete(key)


def scrub_redis(conn: Redis, identifiers: Iterable[str]) -> int:
    """Delete every key holding one of ``identifiers`` (in its name or its values)."""
    matcher = _Matcher(identifiers)
    if not matcher:
        return 0
    removed = 0
    for key in conn.scan_iter(count=500):
        if matcher.holds([key]) or matcher.holds(key_values(conn, key)):
            _delete(conn, key)
            removed += 1
    return removed


@event.listens_for(Session, "after_commit")
def _scrub_after_commit(session: Session) -> None:
    identifiers = erased_identifiers(session)
    if not identifiers:
        return
    try:
        outbox_files = erase_from_outboxes(identifiers)
    except OSError:
        outbox_files = 0
        log.warning("outbox not scrubbed of erased identifiers", exc_info=True)
    try:
        removed = scrub_redis(queues.redis_connection(), identifiers)
    except RedisError:
        # Left behind: failed jobs expire after a week, rate-limit windows within the hour.
        log.warning("redis unreachable; erased identifiers not scrubbed from it", exc_info=True)
        return
    log.info(
        "erasure reached redis and outboxes",
        extra=log_fields(redis_keys_removed=removed, outbox_files_removed=outbox_files),
    )


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    erased_identifiers(session)
