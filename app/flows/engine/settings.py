"""A shop's settings for a flow: declared defaults, overridden by what the merchant stored.

Every value goes through the flow's declaration before it is written; a refused value raises
``SettingError`` and leaves ``FlowSetting`` as it was.
"""

from __future__ import annotations

from typing import Any

from app.events.apply import cancel_runs
from app.flows.engine.definition import Flow, Setting, SettingError
from app.insights.engagement import STAGE_CONDITIONS
from app.models import FlowRun, FlowSetting, Shop, db, missing_for_marketing
from app.models.flows import add_flow_setting, flow_setting

# Settings every marketing flow has; the engine reads them for guards, holdout, attribution.
COMMON_SETTINGS: tuple[Setting, ...] = (
    Setting("holdout_percent", 5, 0, 50, "share of enrolled subjects who get no message"),
    Setting("frequency_cap_hours", 24, 0, 168, "at most one marketing message per this window"),
    Setting("quiet_hours_enabled", True, help="hold messages during the night"),
    Setting("quiet_hours_start", 21, 0, 23, "hour (shop time) quiet hours begin"),
    Setting("quiet_hours_end", 8, 0, 23, "hour (shop time) quiet hours end"),
    Setting("attribution_click_days", 5, 1, 30, "an order after a click within this many days"),
    Setting("attribution_receive_hours", 24, 1, 168, "else an order within this many hours"),
    # "only at-risk customers", "not lapsed": checked when each message is due (guards).
    Setting(
        "lifecycle_stages",
        "all",
        help="only customers in (or not in) this lifecycle stage",
        choices=STAGE_CONDITIONS,
    ),
)

# What a flow offering "best time" on a step adds beside the steps' own switches.
BEST_TIME_WINDOW = Setting(
    "best_time_window_hours", 24, 1, 72, "a best-time step waits at most this long after its delay"
)


def _row(shop_id: int, flow_key: str) -> FlowSetting | None:
    return flow_setting(shop_id, flow_key)


def settings_for(shop_id: int, flow: Flow) -> dict[str, Any]:
    """Defaults with the stored values on top (stored values were validated when saved)."""
    row = _row(shop_id, flow.key)
    stored = row.values if row is not None else {}
    known = flow.defaults()
    return {**known, **{k: v for k, v in stored.items() if k in known}}


def is_enabled(shop_id: int, flow_key: str) -> bool:
    row = _row(shop_id, flow_key)
    return row is not None and row.enabled


def is_switched_on(shop_id: int, flow: Flow) -> bool:
    """The flow's own switch when it has one elsewhere, else its settings row's."""
    return flow.switch(shop_id) if flow.switch is not None else is_enabled(shop_id, flow.key)


class ShopDetailsMissing(SettingError):
    """A marketing flow cannot be switched on before the shop has what every marketing email
    must carry; ``missing`` names it (``legal_address``, ``sender``) for the page to say."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"switch on refused: shop details missing: {', '.join(missing)}")
        self.missing = tuple(missing)


def save_settings(
    shop_id: int, flow: Flow, values: dict[str, Any], *, enabled: bool | None = None
) -> FlowSetting:
    """Validate and store the merchant's values; SettingError before anything is written.

    Turning a flow off cancels its active runs at once. A marketing flow is not switched on
    while the shop lacks its postal address or sender (``ShopDetailsMissing``); one already on
    stays on, and its messages wait. The caller commits.
    """
    parsed = flow.validate(values)
    row = _row(shop_id, flow.key)
    if enabled and flow.marketing and not (row is not None and row.enabled):
        shop = db.session.get(Shop, shop_id)
        missing = missing_for_marketing(shop) if shop is not None else []
        if missing:
            raise ShopDetailsMissing(missing)
    merged = {**settings_for(shop_id, flow), **parsed}
    flow.check_consistency(merged)
    if row is None:
        row = add_flow_setting(shop_id, flow.key, enabled=False, values={})
    row.values = {**(row.values or {}), **parsed}
    if enabled is not None:
        row.enabled = enabled
        if not enabled:
            cancel_runs(shop_id, "flow_disabled", FlowRun.flow_key == flow.key)
    db.session.flush()
    return row


__all__ = [
    "BEST_TIME_WINDOW",
    "COMMON_SETTINGS",
    "SettingError",
    "ShopDetailsMissing",
    "is_enabled",
    "is_switched_on",
    "save_settings",
    "settings_for",
]
