"""Steps sent at the customer's best hour instead of the moment their delay ends.

A step whose flow offers it and whose switch the merchant turned on (``Step.best_time_setting``)
goes, once its delay is over, at the next start of the customer's preferred hour (learned
nightly, ``app/insights/send_time.py``; the shop's hour for a customer we know little of) —
but never later than ``best_time_window_hours`` after the delay ended: when the hour does not
come round inside the window, the step keeps its ordinary time. Nothing is stored on the run:
each time the step falls due the same rule is asked again, so a step whose hour has come goes,
and one moved by the frequency cap or quiet hours aims for the customer's next hour after that.

Quiet hours win: a preferred hour inside them becomes the nearest hour outside them (the last
before the night, on a tie), so the aim never lands where quiet hours would push it off again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.flows.engine.definition import Flow, Settings
from app.flows.engine.runs import anchor_of, due_at
from app.insights.send_time import next_in_hour, preferred_hour
from app.models import FlowRun, Shop


def in_quiet_hours(hour: int, settings: Settings) -> bool:
    """Whether a local hour of day falls inside the flow's quiet hours."""
    start, end = int(settings["quiet_hours_start"]), int(settings["quiet_hours_end"])
    if not settings["quiet_hours_enabled"] or start == end:
        return False
    return (start <= hour or hour < end) if start > end else (start <= hour < end)


def sendable_hour(hour: int, settings: Settings) -> int:
    """``hour``, or the nearest hour outside quiet hours (the evening one on a tie)."""
    if not in_quiet_hours(hour, settings):
        return hour
    before = (int(settings["quiet_hours_start"]) - 1) % 24
    after = int(settings["quiet_hours_end"])
    return before if (hour - before) % 24 <= (after - hour) % 24 else after


def aim(
    shop: Shop, flow: Flow, run: FlowRun, settings: Settings, earliest: datetime
) -> datetime | None:
    """When the run's step goes at its best time, sent no sooner than ``earliest``: ``earliest``
    itself inside the customer's hour, else that hour's next start. None when the step is not
    set to best time, the shop has no hour yet, or the hour does not come inside the window."""
    if not flow.step_at_best_time(run.step, settings):
        return None
    hour = preferred_hour(shop, run.customer_id)
    if hour is None:
        return None
    window = timedelta(hours=int(settings["best_time_window_hours"]))
    latest = due_at(flow, run.step, anchor_of(run), settings) + window
    at = next_in_hour(earliest, sendable_hour(hour, settings), shop.zone)
    return at if at <= latest else None
