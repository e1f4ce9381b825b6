"""Webhook deliveries for support: read them, and retry the ones that failed for good."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash
from flask_admin.actions import action

from app.models import WebhookDelivery, db
from app.pipeline import queues
from app.pipeline.ingest import process_delivery
from app.web.admin.audit import record
from app.web.admin.auth import role
from app.web.admin.base import StaffView

_COLUMNS = (
    "id",
    "shop_id",
    "platform",
    "topic",
    "delivery_id",
    "status",
    "attempts",
    "last_error",
    "received_at",
    "processed_at",
)


class WebhookDeliveryView(StaffView):
    # Not the raw body or headers: signatures and whole payloads stay out of the browser.
    column_list = _COLUMNS
    column_details_list = _COLUMNS
    column_filters = ("shop_id", "platform", "status", "topic")
    column_default_sort = ("received_at", True)

    def __init__(self, session: Any, **kwargs: Any) -> None:
        super().__init__(WebhookDelivery, session, **kwargs)

    def is_action_allowed(self, name: str) -> bool:
        if name == "retry":
            return role() in ("agent", "admin")
        return bool(super().is_action_allowed(name))

    @action("retry", "Retry", "Process the selected failed deliveries again?")
    def action_retry(self, ids: list[str]) -> None:
        if not self.is_action_allowed("retry"):
            flash("Your role cannot retry deliveries.", "error")
            return
        rows = db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.id.in_([int(i) for i in ids]))
            .where(WebhookDelivery.status == "failed")
            .with_for_update()
        ).all()
        for row in rows:
            record(row, "admin_retry_delivery", {"attempts": row.attempts, "error": row.last_error})
            row.status, row.attempts, row.last_error = "received", 0, None
            queues.enqueue_after_commit(
                db.session(), process_delivery, row.id, job_id=f"delivery-{row.id}"
            )
        db.session.commit()
        skipped = len(ids) - len(rows)
        flash(f"{len(rows)} delivery(ies) queued again; {skipped} skipped (not failed).")
