"""The merchant's own words in a flow's emails: one row per (flow, step, language, field).

A row holds only what the merchant changed; a field without a row reads our translated
default, so a better default (a fixed translation) still reaches every shop that kept it.
The text is a small sandboxed template (``app.emails.merchant_copy``), checked before it is
stored: what is here always renders.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, Timestamps, db

# The copy blocks a merchant may rewrite; the legal footer and unsubscribe link are not among
# them (they live in the layout, outside anything editable).
EDITABLE_FIELDS = ("subject", "preheader", "headline", "intro", "cta")


class EmailOverride(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "email_overrides"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "flow_key", "step", "locale", "field"),
        sa.CheckConstraint(
            "field IN ('subject', 'preheader', 'headline', 'intro', 'cta')", name="field"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_key: Mapped[str] = mapped_column(sa.String(40))
    step: Mapped[int]  # the index of the step in the flow's declaration
    locale: Mapped[str] = mapped_column(sa.String(5))
    field: Mapped[str] = mapped_column(sa.String(12))
    text: Mapped[str] = mapped_column(sa.Text)
