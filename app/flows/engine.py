"""How runs advance. The flow modules declare what happens; this module makes it happen."""

from __future__ import annotations

import logging

from rq import Retry

from app import queues
from app.flows import REGISTRY
from app.models import FlowRun, db, utcnow

log = logging.getLogger(__name__)


@queues.job("flows", timeout=120, retry=Retry(max=3, interval=[30, 120, 600]))
def run_step(run_id: int) -> str:
    """Run the due step of a run. Safe to run twice: the step is checked under the row lock."""
    run = db.session.get(FlowRun, run_id, with_for_update=True)
    if run is None or run.state != "active":
        db.session.commit()
        return "not active"
    if run.next_step_at is None or run.next_step_at > utcnow():
        run.lease_until = None
        db.session.commit()
        return "not due"
    flow = REGISTRY.get(run.flow_key)
    if flow is None:
        run.state, run.end_reason, run.ended_at = "cancelled", "flow_unknown", utcnow()
        run.next_step_at = run.lease_until = None
        db.session.commit()
        log.warning("run of an unknown flow cancelled", extra={"run": run_id, "flow": run.flow_key})
        return "cancelled"
    outcome: str = flow.run_step(run)
    db.session.commit()
    return outcome
