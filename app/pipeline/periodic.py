"""Periodic jobs. ``app/pipeline/cron.py`` schedules them with ``rq cron``."""

from __future__ import annotations

import logging
from datetime import datetime

from rq import Retry

from app.flows.engine.timers import enqueue_due_runs, requeue_lost_runs
from app.logs import fields as log_fields
from app.pipeline import queues
from app.pipeline.ingest import requeue_stuck_deliveries

log = logging.getLogger(__name__)


@queues.job("events", timeout=55, retry=Retry(max=1, interval=10))
def minute_tick(now: datetime | None = None) -> dict[str, int]:
    """Find in the database what Redis may have lost: stuck deliveries and due flow steps."""
    result = {
        "deliveries_requeued": requeue_stuck_deliveries(now),
        "runs_recovered": requeue_lost_runs(now),
        "runs_enqueued": enqueue_due_runs(now),
    }
    log.info("minute tick", extra=log_fields(result))
    return result
