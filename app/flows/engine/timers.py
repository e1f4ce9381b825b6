"""Durable timers: the database holds when each run's next step is due.

The minute tick leases due runs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two cron
processes never take the same run), commits the lease, and only then enqueues the step jobs.
A job Redis lost (flushed) is found by the next tick or the one after: a run leased a while
ago whose job Redis holds nothing of is enqueued again at once, without waiting out its lease.
A job a killed worker held (still in Redis, never finished) is picked again when its lease lapses.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from app.flows.engine.engine import run_step
from app.logs import fields as log_fields
from app.models import FlowRun, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)
# A lease younger than this may belong to a job about to be enqueued (after its commit).
LOST_JOB_GRACE = timedelta(seconds=30)


def lease_due_runs(now: datetime | None = None) -> list[tuple[int, int]]:
    """Lease the runs whose step is due; returns (run id, step) pairs, committed."""
    now = now or utcnow()
    stmt = (
        sa.select(FlowRun)
        .where(
            FlowRun.state == "active",
            FlowRun.next_step_at <= now,
            sa.or_(FlowRun.lease_until.is_(None), FlowRun.lease_until < now),
        )
        .order_by(FlowRun.next_step_at)
        .limit(current_app.config["TICK_BATCH_SIZE"])
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    runs = db.session.scalars(stmt).all()
    lease_until = now + timedelta(seconds=current_app.config["RUN_LEASE_SECONDS"])
    leased = []
    for run in runs:
        run.lease_until = lease_until
        leased.append((run.id, run.step))
    db.session.commit()
    return leased


def enqueue_due_runs(now: datetime | None = None) -> int:

    count = 0
    for run_id, step in lease_due_runs(now):
        try:
            queues.enqueue(run_step, run_id, job_id=run_job_id(run_id, step))
            count += 1
        except RedisError:
            log.warning(
                "redis unreachable; run stays leased until it lapses", extra=log_fields(run=run_id)
            )
            break
    return count


def run_job_id(run_id: int, step: int) -> str:
    return f"run-{run_id}-step-{step}"


def requeue_lost_runs(now: datetime | None = None) -> int:
    """Enqueue again the leased steps whose job Redis holds nothing of (a flush, a lost
    write): they would otherwise wait out the lease (RUN_LEASE_SECONDS) with no mail. Only
    leases older than LOST_JOB_GRACE count, so a step queued after its commit is not doubled;
    run_step is safe to run twice anyway (it re-checks under the run's row lock)."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["RUN_LEASE_SECONDS"])
    leased = db.session.execute(
        sa.select(FlowRun.id, FlowRun.step)
        .where(
            FlowRun.state == "active",
            FlowRun.next_step_at <= now,
            FlowRun.lease_until > now,
            FlowRun.lease_until < now + lease - LOST_JOB_GRACE,
        )
        .order_by(FlowRun.lease_until)
        .limit(current_app.config["TICK_BATCH_SIZE"])
    ).all()
    db.session.commit()
    jobs = {run_job_id(run_id, step): run_id for run_id, step in leased}
    count = 0
    try:
        for job_id in sorted(queues.missing_jobs(list(jobs))):
            queues.enqueue(run_step, jobs[job_id], job_id=job_id)
            count += 1
    except RedisError:
        log.warning("redis unreachable; lost steps wait for the next tick")
    if count:
        log.warning("steps lost from redis enqueued again", extra=log_fields(runs=count))
    return count
