"""What support staff see. Shops never show credentials: no encrypted column, no tokens, and
no free-form settings (a platform may leave keys there while connecting)."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from app.models import (
    AuditLog,
    Cart,
    Customer,
    FlowRun,
    Message,
    Order,
    Shop,
    Suppression,
    db,
    utcnow,
)
from app.models.customers import CONSENT_STATES
from app.web.admin.base import StaffIndexView, StaffView
from app.web.admin.deliveries import WebhookDeliveryView

SUPPORT = ("agent", "admin")
_SHOP_COLUMNS = (
    "id",
    "platform",
    "domain",
    "name",
    "status",
    "currency",
    "locale",
    "timezone",
    "installed_at",
    "uninstalled_at",
    "created_at",
)


def _history_import(view: Any, context: Any, shop: Shop, name: str) -> str:
    """The order history import at a glance: state, orders, cursor, last error."""
    shown = {k: v for k, v in shop.history_import.to_json().items() if v not in (None, 0)}
    return ", ".join(f"{k}: {v}" for k, v in shown.items()) or "not started"


class ShopView(StaffView):
    column_list = _SHOP_COLUMNS
    column_details_list = (*_SHOP_COLUMNS, "history_import")
    column_formatters_detail = {"history_import": _history_import}
    column_searchable_list = ("domain", "name")
    column_filters = ("platform", "status")
    edit_roles = SUPPORT
    form_columns = ("name", "locale", "timezone")


class CustomerView(StaffView):
    column_exclude_list = ("address", "birthday", "platform_updated_at")
    column_searchable_list = ("email", "phone", "platform_customer_id")
    column_filters = ("shop_id", "email_consent", "sms_consent")
    edit_roles = SUPPORT
    # A shopper who asks support to stop the emails: consent is what agents may change.
    form_columns = ("email_consent", "sms_consent")
    form_choices = {
        "email_consent": [(state, state) for state in CONSENT_STATES],
        "sms_consent": [(state, state) for state in CONSENT_STATES],
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        for channel in ("email", "sms"):
            if form[f"{channel}_consent"].object_data != form[f"{channel}_consent"].data:
                setattr(model, f"{channel}_consent_at", utcnow())
                setattr(model, f"{channel}_consent_source", "support")
        super().on_model_change(form, model, is_created)


class SuppressionView(StaffView):
    column_searchable_list = ("address",)
    column_filters = ("shop_id", "channel", "reason")
    # Lifting a suppression lets marketing reach the address again: admins only.
    delete_roles = ("admin",)


class ReadOnlyView(StaffView):
    column_filters: tuple[str, ...] = ("shop_id",)


class CartView(ReadOnlyView):
    column_exclude_list = ("items",)
    column_searchable_list = ("cart_key", "email")


class OrderView(ReadOnlyView):
    column_exclude_list = ("items", "shipping_address")
    column_searchable_list = ("platform_order_id", "order_number", "email")


class FlowRunView(ReadOnlyView):
    column_exclude_list = ("context",)
    column_filters = ("shop_id", "flow_key", "state", "held_out")


class MessageView(ReadOnlyView):
    column_exclude_list = ("meta", "idempotency_key")
    column_searchable_list = ("recipient",)
    column_filters = ("shop_id", "status", "channel")


class AuditLogView(ReadOnlyView):
    column_default_sort = ("at", True)
    column_filters = ("shop_id", "actor", "action")


def all_views() -> list[BaseView]:
    database = db  # Flask-Admin 2 takes the Flask-SQLAlchemy object, not its session
    return [
        ShopView(Shop, database, name="Shops"),
        CustomerView(Customer, database, name="Customers"),
        CartView(Cart, database, name="Carts"),
        OrderView(Order, database, name="Orders"),
        FlowRunView(FlowRun, database, name="Flow runs"),
        MessageView(Message, database, name="Messages"),
        WebhookDeliveryView(db, name="Webhook deliveries"),
        SuppressionView(Suppression, database, name="Suppressions"),
        AuditLogView(AuditLog, database, name="Audit log"),
    ]


__all__ = ["StaffIndexView", "all_views"]
