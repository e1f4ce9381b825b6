"""A shop's settings as typed sections, each with one reader and one writer on ``Shop``.

The ``shops.settings`` column stays one JSON object, so rows stored before these types keep
working as they are: flat sections (branding, legal address, sender, SMS, store connection,
merchant contact) own top-level keys; nested ones (sync, reconcile, recommendations) own one key
holding an object. Reading tolerates missing keys (the defaults); a value of the wrong kind is
refused with a message naming the setting, whether it is being saved or was stored by hand.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import (
    Any,
    ClassVar,
    Generic,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    overload,
)

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SMS_GATEWAYS = ("", "outbox")  # SMSAPI is chosen by its token in the encrypted credentials


class ShopSettingsError(ValueError):
    """A shop setting has the wrong kind of value; the message names it."""


def _kind_ok(hint: Any, value: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_kind_ok(arg, value) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, tuple | list) and all(
            _kind_ok(get_args(hint)[0], item) for item in value
        )
    if origin is dict:
        return isinstance(value, dict)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _kind_name(hint: Any) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", type(None): "empty"}
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_kind_name(arg) for arg in get_args(hint))
    if get_origin(hint) is tuple:
        return f"a list of {_kind_name(get_args(hint)[0])}"
    return names.get(hint, "an object")


# Resolving string annotations is costly and the same for every instance of a section (the
# storefront collector reads two sections per request): once per class.
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(section: type) -> dict[str, Any]:
    if section not in _HINTS:
        _HINTS[section] = get_type_hints(section)
    return _HINTS[section]


class Section:
    """Base of every typed section: checks kinds on creation, maps to and from the JSON."""

    # The JSON key holding this section's object, or None when its keys sit at the top level.
    NESTED_UNDER: ClassVar[str | None] = None
    # Attribute -> JSON key, where the stored key differs from the attribute's name.
    STORED_AS: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if not _kind_ok(hints[item.name], value):
                raise ShopSettingsError(
                    f"{self._label(item.name)} must be {_kind_name(hints[item.name])}, "
                    f"got {value!r}"
                )
            if isinstance(value, list):
                object.__setattr__(self, item.name, tuple(value))
        problem = self.problem()
        if problem:
            raise ShopSettingsError(problem)

    def problem(self) -> str | None:
        """A rule beyond the value's kind (an email's shape, a colour); None when it holds."""
        return None

    @classmethod
    def _label(cls, name: str) -> str:
        key = cls.STORED_AS.get(name, name)
        return f"{cls.NESTED_UNDER}.{key}" if cls.NESTED_UNDER else key

    @classmethod
    def from_json(cls: type[S], stored: Mapping[str, Any] | None) -> S:
        """The section from the whole settings object; missing keys take their defaults."""
        stored = stored or {}
        source = stored.get(cls.NESTED_UNDER) if cls.NESTED_UNDER else stored
        if source is None:
            source = {}
        if not isinstance(source, Mapping):
            raise ShopSettingsError(f"{cls.NESTED_UNDER} must be an object, got {source!r}")
        names = [item.name for item in fields(cls)]  # type: ignore[arg-type]
        keys = {n: cls.STORED_AS.get(n, n) for n in names}
        values = {n: source[key] for n, key in keys.items() if key in source}
        # A stored null means "not set": the default, even where the type takes no None.
        return cls(**{n: v for n, v in values.items() if v is not None or _accepts_none(cls, n)})

    def to_json(self) -> dict[str, Any]:
        """This section's keys as stored (lists for tuples, so the JSON column takes them)."""
        return {
            self.STORED_AS.get(item.name, item.name): _plain(getattr(self, item.name))
            for item in fields(self)  # type: ignore[arg-type]
        }

    def merged_into(self, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        """The whole settings object with this section replaced (a new dict: the ORM sees it)."""
        stored = dict(stored or {})
        if self.NESTED_UNDER:
            stored[self.NESTED_UNDER] = self.to_json()
        else:
            stored.update(self.to_json())
        return stored


S = TypeVar("S", bound=Section)


def _accepts_none(cls: type[Section], name: str) -> bool:
    return _kind_ok(get_type_hints(cls)[name], None)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Branding(Section):
    """How emails look: the logo and the accent colour (the shop's name comes from the row)."""

    logo_url: str | None = None
    primary_color: str | None = None

    def problem(self) -> str | None:
        if self.primary_color and not _COLOR.match(self.primary_color):
            return f"primary_color must look like #0f766e, got {self.primary_color!r}"
        if self.logo_url and not self.logo_url.startswith(("https://", "http://")):
            return f"logo_url must be an http(s) address, got {self.logo_url!r}"
        return None


@dataclass(frozen=True)
class LegalAddress(Section):
    """The postal address every marketing email must carry (EU and Polish/Romanian law)."""

    STORED_AS: ClassVar[dict[str, str]] = {"text": "address", "from_store": "address_from_store"}
    text: str = ""
    # Read from the store's own settings (kept current by the reconcile) rather than typed by the
    # merchant on our page (which the store never overwrites).
    from_store: bool = False

    @property
    def is_set(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True)
class Sender(Section):
    """Who marketing mail is from: a name, and the shop's own verified address if it has one."""

    STORED_AS: ClassVar[dict[str, str]] = {"name": "sender_name", "email": "sender_email"}
    name: str = ""
    email: str = ""

    def problem(self) -> str | None:
        if self.email and not _EMAIL.match(self.email):
            return f"sender_email must be an email address, got {self.email!r}"
        return None


@dataclass(frozen=True)
class SmsChannel(Section):
    """The SMS sender name shown to shoppers, and the development outbox switch."""

    STORED_AS: ClassVar[dict[str, str]] = {
        "gateway": "sms_gateway",
        "sender_name": "sms_sender_name",
    }
    gateway: str = ""
    sender_name: str | None = None

    def problem(self) -> str | None:
        if self.gateway not in SMS_GATEWAYS:
            return f"sms_gateway must be one of {SMS_GATEWAYS}, got {self.gateway!r}"
        return None


@dataclass(frozen=True)
class StoreConnection(Section):
    """A WooCommerce store's address, and the connect handshake waiting for its callback."""

    STORED_AS: ClassVar[dict[str, str]] = {"pending": "connect"}
    store_url: str | None = None
    connected_at: str | None = None
    # {nonce_sha256, started_at} while a connect request waits; the secret is in credentials.
    pending: dict[str, Any] | None = None


@dataclass(frozen=True)
class MerchantContact(Section):
    """Where the merchant's test emails go, remembered from the last test they sent."""

    STORED_AS: ClassVar[dict[str, str]] = {"email": "merchant_email"}
    email: str | None = None


@dataclass(frozen=True)
class SyncState(Section):
    """Catalog sync progress. Shopify: a bulk operation and the line cursor of its file;
    WooCommerce: the pages done. A sync resumes from here after a crash."""

    NESTED_UNDER: ClassVar[str | None] = "sync"
    state: str | None = None  # Shopify: running, importing, done, failed
    status: str | None = None  # WooCommerce: running, done
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    operation_id: str | None = None
    rows_done: int | None = None
    rows_total: int | None = None
    cursor: int | None = None
    removed: int | None = None
    done_pages: tuple[int, ...] = ()
    total_pages: int | None = None
    total_products: int | None = None
    synced: int | None = None

    @property
    def current(self) -> str:
        """The state, whichever platform wrote it."""
        return self.state or self.status or ""

    @property
    def is_running(self) -> bool:
        return self.current in ("running", "importing")

    def shown(self) -> dict[str, Any]:
        """What the merchant page lists: the keys this platform's sync set."""
        return {k: v for k, v in self.to_json().items() if v not in (None, [])}


@dataclass(frozen=True)
class HistoryImport(Section):
    """The import of the orders placed before the shop connected (``app.events.history``).
    Shopify: a bulk operation and the line cursor of its file; WooCommerce: the pages done.
    An import interrupted half-way resumes from here."""

    NESTED_UNDER: ClassVar[str | None] = "history"
    state: str | None = None  # running, importing, done, failed
    before: str | None = None  # orders placed before this moment are history
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None  # the last failure; the job retries with backoff
    operation_id: str | None = None  # Shopify's bulk operation
    cursor: int = 0  # Shopify: JSONL lines stored; WooCommerce: pages stored
    orders: int = 0  # orders imported so far
    total: int | None = None  # orders the platform said it has (when it says)
    # Shopify without ``read_all_orders`` shares only the last 60 days of orders.
    limited_to_days: int | None = None

    @property
    def is_running(self) -> bool:
        return self.state in ("running", "importing")


@dataclass(frozen=True)
class ReconcileState(Section):
    """The last reconcile: when, how far (WooCommerce's order cursor) and what it found."""

    NESTED_UNDER: ClassVar[str | None] = "reconcile"
    at: str | None = None
    orders_modified_gmt: str | None = None
    identity_at: str | None = None  # when the store's name, address, currency... were last read
    subscriptions_recreated: tuple[str, ...] = ()  # the webhook topics it had to subscribe again
    orders: int | None = None
    checkouts: int | None = None
    pixel: str | None = None  # Shopify's web pixel: created, updated, unchanged or failed


@dataclass(frozen=True)
class Attention(Section):
    """Something the merchant must fix in their store before flows can go on; the merchant
    page shows it until it is cleared (by the next success)."""

    NESTED_UNDER: ClassVar[str | None] = "attention"
    discount_refused_at: str | None = None  # first time a code could not be made honestly
    discount_refused: str = ""  # what the store did, for support staff


@dataclass(frozen=True)
class RecommendationKnobs(Section):
    """Per-shop recommendation knobs (support staff set them; the model clamps them)."""

    NESTED_UNDER: ClassVar[str | None] = "recommendations"
    min_support: int = 3
    per_product: int = 20
    # The merchant's word on repurchase, above what the orders teach: categories always
    # suggested again, and categories never suggested again (even when customers rebuy them).
    consumable_categories: tuple[str, ...] = ()
    one_time_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecommendationEvidence(Section):
    """What the nightly backtest found on the shop's own orders and which method it serves.

    Written only by the nightly refresh (``app/insights/recs_choice.py``). Rates are per mille
    so the stored JSON holds whole numbers.
    """

    NESTED_UNDER: ClassVar[str | None] = "recommendation_evidence"
    # what cross-sell serves: views_aware | co_purchase | bestsellers
    method: str = "bestsellers"
    winback_method: str = "bestsellers"  # what win-back serves
    cases: int = 0
    model_hit_permille: int = 0
    baseline_hit_permille: int = 0
    diff_low_permille: int = 0  # 95 % interval of the paired difference in hit rate
    diff_high_permille: int = 0
    test_days: int = 0
    decided_at: str | None = None
    # The views-aware pairs (co-purchase plus what customers looked at) on the same cases, and
    # the 95 % interval of their paired difference from the order-only pairs.
    views_hit_permille: int = 0
    views_diff_low_permille: int = 0
    views_diff_high_permille: int = 0


@dataclass(frozen=True)
class IdleRule(Section):
    """The idle rule the daily scan uses, chosen by the nightly backtest of the shop's orders."""

    NESTED_UNDER: ClassVar[str | None] = "idle_rule"
    days: int = 90
    rhythm: bool = True
    decided_at: str | None = None


@dataclass(frozen=True)
class SendTimePrior(Section):
    """The hour (shop's timezone) the shop's customers are most active at, learned nightly with
    each customer's own (``app/insights/send_time.py``): the best time of a customer we know
    little of leans on it. ``hour`` is None until the shop has any activity to learn from."""

    NESTED_UNDER: ClassVar[str | None] = "send_time"
    hour: int | None = None
    events: int = 0
    learned_at: str | None = None

    def problem(self) -> str | None:
        if self.hour is not None and not 0 <= self.hour <= 23:
            return "send_time.hour must be between 0 and 23"
        return None


@dataclass(frozen=True)
class StorefrontTracking(Section):
    """The storefront collector's key and rules for this shop.

    ``collect_key`` is public (it sits in the shop's pages and pixel settings): it names the
    shop, and the browser's ``Origin`` must be one of the shop's storefronts (``origins`` adds
    custom domains to the connected URL). ``retention_days``: views older than this are deleted.
    """

    NESTED_UNDER: ClassVar[str | None] = "tracking"
    collect_key: str = ""
    origins: tuple[str, ...] = ()
    retention_days: int = 90

    def problem(self) -> str | None:
        if not 1 <= self.retention_days <= 730:
            return "tracking.retention_days must be between 1 and 730"
        return None


@dataclass(frozen=True)
class StaffAlertSettings(Section):
    """Where staff alerts go: the staff's email addresses and, optionally, a webhook URL the
    merchant gave (its signing secret is in the shop's encrypted credentials). The URL is
    checked to be public when saved and again before each delivery (``app/outbound.py``)."""

    NESTED_UNDER: ClassVar[str | None] = "staff_alerts"
    emails: tuple[str, ...] = ()
    webhook_url: str = ""

    def problem(self) -> str | None:
        bad = [e for e in self.emails if not _EMAIL.match(e)]
        if bad:
            return f"staff_alerts.emails: not an email address: {', '.join(bad)}"
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://")):
            return f"staff_alerts.webhook_url must be an http(s) address, got {self.webhook_url!r}"
        return None


class Stored(Generic[S]):
    """``shop.branding`` and friends: read the typed section, assign a new one to save it."""

    def __init__(self, section: type[S]) -> None:
        self.section = section

    @overload
    def __get__(self, shop: None, owner: Any = None) -> Stored[S]: ...
    @overload
    def __get__(self, shop: object, owner: Any = None) -> S: ...
    def __get__(self, shop: Any, owner: Any = None) -> S | Stored[S]:
        return self if shop is None else self.section.from_json(shop.settings)

    def __set__(self, shop: Any, value: S) -> None:
        if not isinstance(value, self.section):
            raise ShopSettingsError(f"expected {self.section.__name__}, got {value!r}")
        shop.settings = value.merged_into(shop.settings)


__all__ = [
    "Branding",
    "HistoryImport",
    "IdleRule",
    "LegalAddress",
    "MerchantContact",
    "RecommendationEvidence",
    "RecommendationKnobs",
    "ReconcileState",
    "SendTimePrior",
    "Sender",
    "ShopSettingsError",
    "SmsChannel",
    "StaffAlertSettings",
    "StoreConnection",
    "Stored",
    "SyncState",
]
