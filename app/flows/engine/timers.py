"""Durable timers: the database holds when each run's next step is due.

The minute tick leases due runs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two cron
processes never take the same run), commits the lease, and only then enqueues the step jobs.
A lost job (Redis flushed, worker killed) is picked again when its lease lapses.
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
            queues.enqueue(run_step, run_id, job_id=f"run-{run_id}-step-{step}")
            count += 1
        except RedisError:
            log.warning(
                "redis unreachable; run stays leased until it lapses", extra=log_fields(run=run_id)
            )
            break
    return count
