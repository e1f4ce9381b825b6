"""All models, imported here so Alembic and the app see one metadata."""

from app.models.base import Base, db, utcnow
from app.models.catalog import Product, Variant
from app.models.commerce import Cart, Order
from app.models.customers import Customer, Suppression
from app.models.flows import FlowRun, FlowSetting, cancel_runs
from app.models.messages import Discount, Message
from app.models.scope import ShopScope, TenantError
from app.models.shipments import LabelBatch, Shipment, ShipmentEvent
from app.models.shops import AuditLog, Shop, missing_for_marketing
from app.models.webhooks import WebhookDelivery

__all__ = [
    "AuditLog",
    "Base",
    "Cart",
    "Customer",
    "Discount",
    "FlowRun",
    "FlowSetting",
    "LabelBatch",
    "Message",
    "Order",
    "Product",
    "Shipment",
    "ShipmentEvent",
    "Shop",
    "ShopScope",
    "Suppression",
    "TenantError",
    "Variant",
    "WebhookDelivery",
    "cancel_runs",
    "db",
    "missing_for_marketing",
    "utcnow",
]
from app.models.recs import CustomerScore, IdleEmission, OrderLine, Recommendation

__all__ += ["CustomerScore", "IdleEmission", "OrderLine", "Recommendation"]
from app.models.support import SUPPORT_ROLES, SupportUser  # noqa: E402

__all__ += ["SUPPORT_ROLES", "SupportUser"]
from app.models.emails import EDITABLE_FIELDS, EmailOverride  # noqa: E402

__all__ += ["EDITABLE_FIELDS", "EmailOverride"]

from app.models.tracking import (  # noqa: E402
    EVENT_KINDS,
    BrowseEmission,
    CheckoutClaim,
    StorefrontEvent,
    StorefrontVisitor,
)

__all__ += [
    "EVENT_KINDS",
    "BrowseEmission",
    "CheckoutClaim",
    "StorefrontEvent",
    "StorefrontVisitor",
]

from app.models.newsletter import (  # noqa: E402
    WELCOME_FLOW_KEY,
    double_opt_in_required,
)

__all__ += ["WELCOME_FLOW_KEY", "double_opt_in_required"]

from app.models.engagement import (  # noqa: E402
    ALERT_KINDS,
    STAGES,
    AlertRule,
    CustomerEngagement,
    EngagementStageChange,
    StaffAlert,
)

__all__ += [
    "ALERT_KINDS",
    "STAGES",
    "AlertRule",
    "CustomerEngagement",
    "EngagementStageChange",
    "StaffAlert",
]
from app.models.lifecycle import (  # noqa: E402
    BIRTHDAY_FLOW_KEY,
    LifecycleEmission,
    birthday_metafield,
)

__all__ += ["BIRTHDAY_FLOW_KEY", "LifecycleEmission", "birthday_metafield"]
from app.models.send_times import PreferredHour  # noqa: E402

__all__ += ["PreferredHour"]
