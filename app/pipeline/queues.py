"""RQ plumbing: the queues, job declaration, and enqueueing only after commit.

Jobs are plain functions that take ids. ``@job(...)`` records the queue, timeout and retry
policy on the function and runs it inside an app context: the current one in tests and the
web process; in a worker, the one app ``app/pipeline/worker_settings.py`` builds when
``rq worker -c`` loads it (a new app per job would exhaust connections), with a fresh app
context (and so a fresh database session) per job.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.logs import fields as log_fields

log = logging.getLogger(__name__)
QUEUES = ("events", "flows", "sync", "labels")
P = ParamSpec("P")
R = TypeVar("R")
_worker_app: Flask | None = None
_AFTER_COMMIT = "storeflow_after_commit"
REDIS_EXTENSION = "storeflow_redis"  # the app's cached connection, in app.extensions


def redis_connection(app: Flask | None = None) -> Redis:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn = app.extensions.get(REDIS_EXTENSION)
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions[REDIS_EXTENSION] = conn
    return conn


def queue(name: str) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())


def serve_jobs_with(app: Flask) -> None:
    """The app this worker process runs its jobs in (``app/pipeline/worker_settings.py``)."""
    global _worker_app
    _worker_app = app


def _app_for_job() -> Flask:
    if _worker_app is None:
        raise RuntimeError(
            "no app for this job: start workers with `rq worker -c app.pipeline.worker_settings`"
        )
    return _worker_app


def job(
    queue_name: str, *, timeout: int, retry: Retry | None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a job's queue, timeout and retry policy explicitly."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if has_app_context():
                return func(*args, **kwargs)
            with _app_for_job().app_context():
                return func(*args, **kwargs)

        run.job_options = {"queue": queue_name, "timeout": timeout, "retry": retry}  # type: ignore[attr-defined]
        return run

    return decorate


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, **kwargs: Any) -> Job:
    """Enqueue a declared job now. Call only after the rows it reads are committed.

    One round trip to Redis: RQ sends the queue's registration and the job (its hash, its
    place in the queue) in two transactions unless handed a pipeline, which it fills instead.
    """
    options = func.job_options  # type: ignore[attr-defined]
    target = queue(options["queue"])
    with target.connection.pipeline() as pipe:
        job_ = target.enqueue(
            func,
            *args,
            job_id=job_id,
            job_timeout=options["timeout"],
            retry=options["retry"],
            failure_ttl=7 * 24 * 3600,
            pipeline=pipe,
            **kwargs,
        )
        pipe.execute()
    return job_


def enqueue_in(
    delay: timedelta, func: Callable[..., Any], *args: Any, job_id: str | None = None
) -> Job:
    """Enqueue a declared job to run once ``delay`` has passed (a worker's scheduler moves
    it to its queue then)."""
    options = func.job_options  # type: ignore[attr-defined]
    return queue(options["queue"]).enqueue_in(
        delay,
        func,
        *args,
        job_id=job_id,
        job_timeout=options["timeout"],
        retry=options["retry"],
        failure_ttl=7 * 24 * 3600,
    )


def last_attempt() -> bool:
    """No retry follows if this fails: the running job has none left, or this runs outside
    a job (a command, support's button), where nobody retries it."""
    job = get_current_job()
    return job is None or not job.retries_left


def enqueue_after_commit(
    session: Session, func: Callable[..., Any], *args: Any, job_id: str | None = None
) -> None:
    """Enqueue once the session's transaction commits; dropped if it rolls back.

    A job enqueued inside an open transaction can run before the commit and find nothing.
    If Redis is down the job is not lost: the minute tick finds the work in the database.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append((func, args, job_id))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending = session.info.pop(_AFTER_COMMIT, [])
    for func, args, job_id in pending:
        try:
            enqueue(func, *args, job_id=job_id)
        except Exception:  # Redis down: the tick re-enqueues from the database.
            log.warning(
                "enqueue after commit failed",
                extra=log_fields(job=func.__name__, job_args=args),
                exc_info=True,
            )


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def job_is_pending(job_id: str) -> bool:
    """True if RQ still holds this job waiting or running (a flushed Redis holds nothing)."""
    job_ = Job.fetch(job_id, connection=redis_connection()) if _exists(job_id) else None
    if job_ is None:
        return False
    return job_.get_status(refresh=False) in {"queued", "started", "scheduled", "deferred"}


def missing_jobs(job_ids: list[str]) -> set[str]:
    """The ids Redis holds no job for at all (never enqueued, or lost in a flush); one round
    trip for the lot. A finished or failed job still exists until its TTL runs out."""
    if not job_ids:
        return set()
    pipe = redis_connection().pipeline(transaction=False)
    for job_id in job_ids:
        pipe.exists(Job.key_for(job_id))
    return {job_id for job_id, found in zip(job_ids, pipe.execute(), strict=True) if not found}


def _exists(job_id: str) -> bool:
    return bool(Job.exists(job_id, connection=redis_connection()))
