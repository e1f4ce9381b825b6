"""How a flow is declared: as data the engine reads, never as code that advances runs itself.

A ``Flow`` names its triggers, enrollment rule, steps, stop rules and the merchant settings it
accepts (each with a default and bounds). Settings are validated before they are stored: a bad
value is refused with a message naming the setting and never reaches ``FlowSetting``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

    from app.events.types import Event
    from app.models import FlowRun, Message, Shop


class SettingError(ValueError):
    """A merchant setting is unknown or out of bounds; the message says which and why."""

    def __init__(self, message: str, keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.keys = keys  # the refused settings, when the caller wants to list them


SettingValue = int | bool | str | dict[str, str] | dict[str, int]
TEXT_MAX = 200
TABLE_MAX = 200  # rows of a table setting (product -> days)


@dataclass(frozen=True)
class Setting:
    """One merchant setting. Its default's kind is its kind: a tick box, a whole number within
    bounds, a text (one of ``choices`` when given), a group of named text ``parts`` (an
    address, parcel sizes), or, a group without ``parts``, a table of the merchant's own keys
    to whole numbers within bounds (product id -> days)."""

    key: str
    default: SettingValue
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""
    choices: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    def parse(self, value: Any) -> SettingValue:
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise SettingError(f"{self.key} must be true or false, got {value!r}")
            return value
        if isinstance(self.default, str):
            return self._text(value)
        if isinstance(self.default, dict):
            return self._parts(value) if self.parts else self._table(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(f"{self.key} must be a whole number, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise SettingError(f"{self.key} must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise SettingError(f"{self.key} must be at most {self.maximum}, got {value}")
        return value

    def _text(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise SettingError(f"{self.key} must be text of at most {TEXT_MAX} characters")
        if self.choices and value not in self.choices:
            raise SettingError(
                f"{self.key} must be one of {', '.join(self.choices)}, got {value!r}"
            )
        return value

    def _table(self, value: Any) -> dict[str, int]:
        if not isinstance(value, Mapping) or len(value) > TABLE_MAX:
            raise SettingError(f"{self.key} must be a table of at most {TABLE_MAX} rows")
        table = {}
        for key, number in value.items():
            name = str(key).strip()
            if not name or len(name) > 64:
                raise SettingError(f"{self.key}: every row needs a name of at most 64 characters")
            if isinstance(number, bool) or not isinstance(number, int):
                raise SettingError(f"{self.key}: {name} must be a whole number, got {number!r}")
            low, high = self.minimum, self.maximum
            if (low is not None and number < low) or (high is not None and number > high):
                raise SettingError(f"{self.key}: {name} must be from {low} to {high}, got {number}")
            table[name] = number
        return table

    def _parts(self, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise SettingError(f"{self.key} must be a group of {', '.join(self.parts)}")
        unknown = sorted(set(value) - set(self.parts))
        if unknown:
            raise SettingError(f"{self.key} has no {', '.join(map(str, unknown))}")
        if any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in value.values()):
            raise SettingError(f"{self.key}: every part must be text or a number")
        return {k: str(v) for k, v in value.items() if str(v) != ""}


def parse_settings(
    owner: str, declared: tuple[Setting, ...], values: Mapping[str, Any]
) -> dict[str, Any]:
    """The values parsed against the declaration; one SettingError naming every bad one."""
    known = {s.key: s for s in declared}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingError(f"unknown setting(s) for {owner}: {', '.join(unknown)}", tuple(unknown))
    parsed, problems = {}, {}
    for key, value in values.items():
        try:
            parsed[key] = known[key].parse(value)
        except SettingError as exc:
            problems[key] = str(exc)
    if problems:
        raise SettingError("; ".join(problems.values()), tuple(problems))
    return parsed


@dataclass(frozen=True)
class Step:
    """One message of a flow, due ``delay_setting`` minutes after the run's anchor time (at
    the anchor itself when it names no setting: the anchor is already the sending time)."""

    delay_setting: str
    channel: str  # "email" | "sms"
    template: str
    discount: bool = False
    # A step that only runs when this boolean setting is on (e.g. the optional SMS).
    enabled_setting: str | None = None
    # A boolean setting that, when on, sends the step at the customer's best hour after its
    # delay (``engine/best_time.py``); None where minutes matter (a cart's first reminder).
    best_time_setting: str | None = None


@dataclass(frozen=True)
class Enrollment:
    """What a trigger event asks of the engine for one subject (cart, customer...)."""

    subject_key: str
    customer_id: int | None
    anchor: datetime  # delays count from here; a newer trigger moves it (restarts the clock)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """A send-time check's answer: stop the run, or defer the step until a time."""

    stop: str | None = None
    defer_until: datetime | None = None
    # Why a step is deferred, kept on the run for the merchant page (``words.DEFER_REASONS``).
    reason: str | None = None


Settings = Mapping[str, Any]
# Enrollment rule: the event -> the subjects to enroll (or whose clock to restart).
EnrollRule = Callable[["Event", Settings], list[Enrollment]]
# Stop rule: the event -> SQL criteria on FlowRun selecting the runs to cancel.
StopRule = Callable[["Event"], "list[sa.ColumnElement[bool]]"]
# The template context of a step: (shop, run, step, message, settings, now) -> context.
Compose = Callable[["Shop", "FlowRun", "Step", "Message", Settings, datetime], dict[str, Any]]
# Send-time check specific to a flow (the engine adds the common ones).
Check = Callable[["Shop", "FlowRun", Settings, datetime], "Verdict | None"]


@dataclass(frozen=True)
class Flow:
    key: str
    # Lower ranks win the frequency cap: a message of a lower-ranked flow never holds them back.
    rank: int
    # Marketing needs consent and passes the frequency cap, quiet hours and holdout; a
    # transactional flow (the shipping notice) goes to whoever the order is for, at once.
    marketing: bool
    triggers: Mapping[type[Event], EnrollRule]
    stop_rules: Mapping[type[Event], tuple[str, StopRule]]
    steps: tuple[Step, ...]
    settings: tuple[Setting, ...]
    compose: Compose
    checks: tuple[Check, ...] = ()
    # Rules across settings (e.g. steps in order); each returns a message when broken.
    consistency: tuple[Callable[[Settings], str | None], ...] = ()
    # Whether the shop has the flow on, when that switch is not the flow's own settings row
    # (the shipping notice follows the label settings, which Shopify's notification reads too).
    switch: Callable[[int], bool] | None = None
    # In a batch of deliveries: what the flow will read about the batch's events, read at
    # once for all of them (``app.models.batch.known``) instead of once per event.
    read_ahead: Callable[[list[Event]], None] | None = None

    def defaults(self) -> dict[str, Any]:
        return {s.key: s.default for s in self.settings}

    def validate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The given values parsed against the declared settings; SettingError if any is bad."""
        return parse_settings(self.key, self.settings, values)

    def check_consistency(self, merged: Settings) -> None:
        problems = [p for p in (rule(merged) for rule in self.consistency) if p]
        if problems:
            raise SettingError("; ".join(problems))

    def step_delay_minutes(self, index: int, settings: Settings) -> int:
        key = self.steps[index].delay_setting
        return int(settings[key]) if key else 0

    def step_at_best_time(self, index: int, settings: Settings) -> bool:
        flag = self.steps[index].best_time_setting
        return flag is not None and bool(settings[flag])

    def step_is_enabled(self, index: int, settings: Settings) -> bool:
        flag = self.steps[index].enabled_setting
        return flag is None or bool(settings[flag])
