"""A run's timeline: which step comes next and when, and how a run ends.

The engine and the delivery both move runs along; this is the one place that says how, so
neither needs the other for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.flows.engine.definition import Flow, Settings
from app.models import FlowRun, db


def lock_run(run_id: int) -> FlowRun | None:
    # FOR NO KEY UPDATE: it still serialises step jobs of one run, but lets a message row that
    # references the run be inserted meanwhile.
    return db.session.get(
        FlowRun, run_id, with_for_update={"key_share": True}, populate_existing=True
    )


def anchor_of(run: FlowRun) -> datetime:
    return datetime.fromisoformat(run.context["anchor"])


def due_at(flow: Flow, index: int, anchor: datetime, settings: Settings) -> datetime:
    """When step ``index`` of a run started at ``anchor`` is due."""
    return anchor + timedelta(minutes=flow.step_delay_minutes(index, settings))


def first_enabled_step(flow: Flow, start: int, settings: Settings) -> int | None:
    for index in range(start, len(flow.steps)):
        if flow.step_is_enabled(index, settings):
            return index
    return None


def advance(run: FlowRun, flow: Flow, settings: Settings, now: datetime) -> str:
    """Schedule the next enabled step after the current one, or complete the run."""
    following = first_enabled_step(flow, run.step + 1, settings)
    run.lease_until = None
    if "deferred" in run.context:  # the step went: why it had waited is no longer news
        run.context = {k: v for k, v in run.context.items() if k != "deferred"}
    if following is None:
        end_run(run, "completed", "sequence_finished", now)
        return "completed"
    run.step = following
    # Deferrals never pull the rest of the sequence earlier than planned, nor into the past.
    run.next_step_at = max(due_at(flow, following, anchor_of(run), settings), now)
    return "advanced"


def end_run(run: FlowRun, state: str, reason: str, now: datetime) -> None:
    run.state, run.end_reason, run.ended_at = state, reason, now
    run.next_step_at = run.lease_until = None
