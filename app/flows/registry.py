"""Every flow Storeflow runs, declared in one list.

A flow joins by being named here, not by a side effect of importing its module. The order is
only for display; the frequency cap ranks flows by ``Flow.rank``.
"""

from __future__ import annotations

from app.flows import (
    abandoned_cart,
    birthday,
    browse_abandonment,
    cross_sell,
    reactivation,
    replenishment,
    shipping_notice,
    welcome,
)
from app.flows.engine.definition import Flow

FLOWS: tuple[Flow, ...] = (
    abandoned_cart.FLOW,
    browse_abandonment.FLOW,
    cross_sell.FLOW,
    reactivation.FLOW,
    shipping_notice.FLOW,
    welcome.FLOW,
    welcome.CONFIRMATION,
    birthday.FLOW,
    replenishment.FLOW,
)

_BY_KEY = {flow.key: flow for flow in FLOWS}


def flow_for(key: str) -> Flow | None:
    """The flow declared under ``key`` (a run outliving its flow's removal gets None)."""
    return _BY_KEY.get(key)
