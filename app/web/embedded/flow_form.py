"""A flow's settings as the merchant types them: grouped basic/advanced, in their words and
units (hours, days, percent), each refused inline with the reason.

Stored values keep the declaration's units (minutes for a delay); the form converts both
ways. Bounds are the declaration's, said in the field's unit; the declaration still checks
everything again when it is saved (``save_settings``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.flows.engine.definition import Flow, Setting
from app.web.embedded.i18n import Words
from app.web.embedded.words import CHOICES, MINUTES_IN, SETTINGS, UNITS, SettingWords


@dataclass
class FieldView:
    name: str  # the form field's name: "<flow>-<setting>"
    key: str
    kind: str  # "switch" | "number" | "choice" | "text" | "table" (lines of "name = number")
    label: str
    hint: str
    unit: str
    value: str  # as shown in the box (or "y"/"" for a tick box)
    minimum: str = ""
    maximum: str = ""
    step: str = "1"
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


@dataclass
class FlowForm:
    key: str
    enabled: bool
    basic: list[FieldView]
    advanced: list[FieldView]
    values: dict[str, Any]  # the parsed values (declaration's units), when valid

    @property
    def errors(self) -> list[FieldView]:
        return [f for f in self.basic + self.advanced if f.error]


def _words(setting: Setting) -> SettingWords:
    return SETTINGS.get(setting.key) or SettingWords(setting.key.replace("_", " ").capitalize())


def _unit_of(setting: Setting) -> tuple[str, int]:
    """The unit typed, and how many stored units one typed unit is (minutes per hour...)."""
    unit = _words(setting).unit
    if setting.key.endswith("_minutes"):
        return unit or "hours", MINUTES_IN[unit or "hours"]
    return unit, 1


def _shown(value: int, per: int, words: Words) -> str:
    if per == 1:
        return str(value)
    number = Decimal(value) / per
    text = f"{number.quantize(Decimal('0.01')).normalize():f}"
    return text.replace(".", ",") if words.locale in ("pl", "ro") else text


def _bound(value: int | None, per: int, up: bool) -> Decimal | None:
    if value is None:
        return None
    scaled = Decimal(value) / per * 100
    return Decimal(math.ceil(scaled) if up else math.floor(scaled)) / 100


def _view(flow_key: str, setting: Setting, raw: Any, words: Words) -> FieldView:
    w = _words(setting)
    name = f"{flow_key}-{setting.key}"
    label, hint = words._(w.label), words._(w.hint) if w.hint else ""
    if isinstance(setting.default, bool):
        return FieldView(name, setting.key, "switch", label, hint, "", "y" if raw else "")
    if setting.choices:
        choices = [(c, words._(CHOICES.get(c, c))) for c in setting.choices]
        return FieldView(name, setting.key, "choice", label, hint, "", str(raw), choices=choices)
    if isinstance(setting.default, str):
        return FieldView(name, setting.key, "text", label, hint, "", str(raw))
    if isinstance(setting.default, dict) and not setting.parts:
        shown = raw if isinstance(raw, str) else "\n".join(f"{k} = {v}" for k, v in raw.items())
        unit = words._(UNITS[w.unit]) if w.unit else ""
        return FieldView(name, setting.key, "table", label, hint, unit, shown)
    unit, per = _unit_of(setting)
    low, high = _bound(setting.minimum, per, True), _bound(setting.maximum, per, False)
    return FieldView(
        name,
        setting.key,
        "number",
        label,
        hint,
        words._(UNITS[unit]) if unit else "",
        raw if isinstance(raw, str) else _shown(int(raw), per, words),
        minimum="" if low is None else f"{low.normalize():f}",
        maximum="" if high is None else f"{high.normalize():f}",
        step="1" if per == 1 else "any",
    )


def _is_advanced(setting: Setting) -> bool:
    return _words(setting).advanced


def flow_form(flow: Flow, stored: Mapping[str, Any], enabled: bool, words: Words) -> FlowForm:
    views = [(_is_advanced(s), _view(flow.key, s, stored[s.key], words)) for s in flow.settings]
    return FlowForm(
        flow.key,
        enabled,
        [v for adv, v in views if not adv],
        [v for adv, v in views if adv],
        dict(stored),
    )


def typed_number(text: str) -> Decimal | None:
    """A number as a merchant types it (a comma or a dot, spaces between thousands)."""
    try:
        value = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def posted_form(flow: Flow, posted: Mapping[str, str], words: Words) -> FlowForm:
    """The posted values read back: each field keeps what was typed and, when refused, why."""
    values: dict[str, Any] = {}
    views: list[tuple[bool, FieldView]] = []
    for setting in flow.settings:
        name = f"{flow.key}-{setting.key}"
        if isinstance(setting.default, bool):
            value: Any = bool(posted.get(name))
            values[setting.key] = value
            views.append((_is_advanced(setting), _view(flow.key, setting, value, words)))
            continue
        typed = str(posted.get(name, ""))
        view = _view(flow.key, setting, typed, words)
        if isinstance(setting.default, dict) and not setting.parts:
            view.error, table = _parse_table(setting, typed, words)
            if not view.error:
                values[setting.key] = table
        elif isinstance(setting.default, str) and not setting.choices:
            values[setting.key] = typed.strip()
        elif setting.choices:
            if typed in setting.choices:
                values[setting.key] = typed
            else:
                view.error = words._("Choose one of the options.")
        else:
            error, stored = _parse_number(setting, typed, words)
            view.error = error
            if not error:
                values[setting.key] = stored
        views.append((_is_advanced(setting), view))
    enabled = bool(posted.get(f"{flow.key}-enabled"))
    return FlowForm(
        flow.key,
        enabled,
        [v for adv, v in views if not adv],
        [v for adv, v in views if adv],
        values,
    )


def _parse_table(setting: Setting, typed: str, words: Words) -> tuple[str, dict[str, int]]:
    """Lines of "name = number" (or "name: number"); an empty box is an empty table."""
    table: dict[str, int] = {}
    for line in typed.splitlines():
        if not line.strip():
            continue
        name, sep, number = line.replace(":", "=", 1).partition("=")
        value = typed_number(number) if sep else None
        if not name.strip() or value is None or value != value.to_integral_value():
            return words._("Write one per line: its ID, = and a whole number."), {}
        if (setting.minimum is not None and value < setting.minimum) or (
            setting.maximum is not None and value > setting.maximum
        ):
            return (
                words._(
                    "Enter a number from %(low)s to %(high)s %(unit)s.",
                    low=words.number(setting.minimum or 0),
                    high=words.number(setting.maximum or 0),
                    unit=words._(UNITS[_words(setting).unit]) if _words(setting).unit else "",
                )
                .strip()
                .replace(" .", "."),
                {},
            )
        table[name.strip()] = int(value)
    return "", table


def _parse_number(setting: Setting, typed: str, words: Words) -> tuple[str, int]:
    unit, per = _unit_of(setting)
    unit_text = words._(UNITS[unit]) if unit else ""
    number = typed_number(typed)
    if number is None:
        return words._("Enter a number."), 0
    stored = int((number * per).to_integral_value())
    if per == 1 and number != number.to_integral_value():
        return words._("Enter a whole number."), 0
    low, high = _bound(setting.minimum, per, True), _bound(setting.maximum, per, False)
    too_low = setting.minimum is not None and stored < setting.minimum
    too_high = setting.maximum is not None and stored > setting.maximum
    if too_low or too_high:
        return (
            words._(
                "Enter a number from %(low)s to %(high)s %(unit)s.",
                low=words.number(low or 0),
                high=words.number(high or 0),
                unit=unit_text,
            )
            .strip()
            .replace(" .", "."),
            0,
        )
    return "", stored
