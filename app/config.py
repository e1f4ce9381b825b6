"""Settings, read once from ``STOREFLOW_*`` environment variables.

Parsers are strict: a bad value stops start-up with a message naming the variable, so a typo in
production is found by the deploy, not by a merchant. Secrets have development defaults only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

PREFIX = "STOREFLOW_"
ENVIRONMENTS = ("development", "test", "production")
_DEV_SECRET = "dev-only-secret-change-me"
# A fixed Fernet key for development and tests only; production must set its own keys.
_DEV_FERNET_KEY = "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
# COLLECT_FLUSH_MS and DELIVERY_WAKE_MS when not set, but in the tests (0 there: each batch
# written, each drain woken, in its request).
DEFAULT_COLLECT_FLUSH_MS = 200
DEFAULT_DELIVERY_WAKE_MS = 50


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def parse_boolean(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false/1/0/yes/no/on/off), got {value!r}")


def parse_int(name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None


def parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value.strip())
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme not in schemes:
        raise ConfigError(f"{name} must be a URL with scheme {'/'.join(schemes)}, got {value!r}")
    if scheme != "sqlite" and not parsed.netloc and not parsed.path:
        raise ConfigError(f"{name} is not a complete URL: {value!r}")
    return value.strip()


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def parse_list(_name: str, value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class _Setting:
    key: str
    parse: Callable[[str, str], Any]
    default: Any = None
    secret: bool = False


def _db_url(name: str, value: str) -> str:
    return parse_url(name, value, ("postgresql", "sqlite"))


def _redis_url(name: str, value: str) -> str:
    return parse_url(name, value, ("redis", "rediss", "unix"))


def _http_url(name: str, value: str) -> str:
    return parse_url(name, value, ("http", "https")).rstrip("/")


def _mail_url(name: str, value: str) -> str:
    return parse_url(name, value, ("smtp", "smtps", "file"))


SETTINGS: tuple[_Setting, ...] = (
    _Setting("SECRET_KEY", lambda _n, v: v, _DEV_SECRET, secret=True),
    _Setting("ENCRYPTION_KEYS", parse_list, [_DEV_FERNET_KEY], secret=True),
    _Setting("DATABASE_URL", _db_url, "sqlite:///{instance}/storeflow.db"),
    _Setting("REDIS_URL", _redis_url, "redis://127.0.0.1:6379/0"),
    _Setting("PUBLIC_URL", _http_url, "http://127.0.0.1:5000"),
    _Setting(
        "LOG_LEVEL",
        lambda n, v: parse_choice(n, v.upper(), ("DEBUG", "INFO", "WARNING", "ERROR")),
        "INFO",
    ),
    _Setting("ENABLE_DEMO_CONNECTOR", parse_boolean, None),
    _Setting("STUCK_DELIVERY_SECONDS", parse_int, 120),
    _Setting("RUN_LEASE_SECONDS", parse_int, 600),
    _Setting("TICK_BATCH_SIZE", parse_int, 500),
    _Setting("DELIVERY_MAX_ATTEMPTS", parse_int, 5),
    # How many reverse proxies in front of gunicorn set X-Forwarded-For/-Proto/-Host (0: none,
    # the client's address is the peer's). The rate limits count per client address, so behind
    # a proxy this must say so, or every caller shares the proxy's address and one limit.
    _Setting("TRUSTED_PROXIES", parse_int, 0),
    # Only for development against a local WordPress: outbound calls to shop URLs otherwise
    # refuse private and loopback addresses.
    _Setting("ALLOW_PRIVATE_STORE_URLS", parse_boolean, False),
    # Where email goes: smtp://user:pass@host:587?starttls=1, smtps://..., file:///path/outbox.
    _Setting("MAIL_URL", _mail_url, "file://instance/outbox", secret=True),
    _Setting("MAIL_FROM", lambda _n, v: v.strip(), "shop@storeflow.local"),
    # The Romanian couriers' API addresses; development points them at the demo's fakes.
    # The collector's write-behind (app/pipeline/view_buffer.py): how often a web process
    # writes the storefront views it holds (0: each batch before its answer; the tests'
    # default), and how many it may hold while the database is away before answering 503.
    _Setting("COLLECT_FLUSH_MS", parse_int, None),
    _Setting("COLLECT_BUFFER_EVENTS", parse_int, 50_000),
    # How often a web process wakes the delivery drain for the webhooks it stored
    # (app/pipeline/deferred_wake.py; 0: in each webhook's request, the tests' default).
    _Setting("DELIVERY_WAKE_MS", parse_int, None),
    _Setting("FAN_COURIER_URL", _http_url, "https://api.fancourier.ro"),
    _Setting("CARGUS_URL", _http_url, "https://urgentcargus.azure-api.net/api"),
)

# Shopify public app (issue 3). The previous secret is optional (only set during a rotation),
# so it is not marked secret: ``secret=True`` means "required in production".
SETTINGS += (
    # Not a secret, but a development client id in production would make every install fail.
    _Setting(
        "SHOPIFY_API_KEY", lambda _n, v: v.strip(), "storeflow-dev-shopify-client-id", secret=True
    ),
    _Setting(
        "SHOPIFY_API_SECRET",
        lambda _n, v: v,
        "storeflow-dev-shopify-app-secret-change-me",
        secret=True,
    ),
    _Setting("SHOPIFY_PREVIOUS_API_SECRET", lambda _n, v: v, ""),
    _Setting("SHOPIFY_API_VERSION", lambda n, v: parse_api_version(n, v), "2026-10"),
    _Setting(
        "SHOPIFY_SCOPES",
        parse_list,
        [
            "read_products",
            "read_orders",
            "read_customers",
            "write_discounts",
            # fulfillments/create|update (the cross-sell's "after fulfilment" clock)
            "read_fulfillments",
            "write_merchant_managed_fulfillment_orders",
            # the storefront web pixel: webPixelCreate/Update, and the events it receives
            "write_pixels",
            "read_customer_events",
        ],
    ),
)


def parse_api_version(name: str, value: str) -> str:
    """Shopify API versions are quarterly ``YYYY-MM`` (01, 04, 07, 10)."""
    value = value.strip()
    year, _, month = value.partition("-")
    if not (len(year) == 4 and year.isdigit() and month in {"01", "04", "07", "10"}):
        raise ConfigError(f"{name} must be a Shopify API version like 2026-10, got {value!r}")
    return value


def load(
    environ: Mapping[str, str] | None = None, instance_path: str = "instance"
) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, failing loudly on bad values."""
    env = os.environ if environ is None else environ
    environment = parse_choice(f"{PREFIX}ENV", env.get(f"{PREFIX}ENV", "development"), ENVIRONMENTS)
    config: dict[str, Any] = {"STOREFLOW_ENV": environment}
    for setting in SETTINGS:
        name = f"{PREFIX}{setting.key}"
        raw = env.get(name)
        if raw is None or raw == "":
            if setting.secret and environment == "production":
                raise ConfigError(f"{name} must be set in production (no default for secrets)")
            value = setting.default
        else:
            value = setting.parse(name, raw)
        config[setting.key] = value
    if isinstance(config["DATABASE_URL"], str):
        config["DATABASE_URL"] = config["DATABASE_URL"].replace("{instance}", instance_path)
    if config["COLLECT_FLUSH_MS"] is None:
        config["COLLECT_FLUSH_MS"] = 0 if environment == "test" else DEFAULT_COLLECT_FLUSH_MS
    if config["DELIVERY_WAKE_MS"] is None:
        config["DELIVERY_WAKE_MS"] = 0 if environment == "test" else DEFAULT_DELIVERY_WAKE_MS
    if config["ENABLE_DEMO_CONNECTOR"] is None:
        config["ENABLE_DEMO_CONNECTOR"] = environment != "production"
    if environment == "production" and not config["PUBLIC_URL"].startswith("https://"):
        # Shopify and WooCommerce (wc-auth callback) only deliver to https endpoints.
        raise ConfigError(f"{PREFIX}PUBLIC_URL must be an https:// URL in production")
    config["TESTING"] = environment == "test"
    config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(config["DATABASE_URL"])
    # No ping before each checkout: it was a round trip on every request (issue 18). A
    # connection dropped by the server fails its statement instead: PostgreSQL down answers
    # 503 with Retry-After (web/errors.py) and the pool then reconnects; the webhook insert
    # retries once at once. Recycling keeps connections from outliving server-side timeouts.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False, "pool_recycle": 1800}
    # Largest request body we read (webhooks included); Flask answers 413 beyond it.
    config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    return config


def _sqlalchemy_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def config_for_tests(database_url: str, redis_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration the test-suite runs with: real services, fixed dev secrets."""
    config = load(
        {
            "STOREFLOW_ENV": "test",
            "STOREFLOW_DATABASE_URL": database_url,
            "STOREFLOW_REDIS_URL": redis_url,
            "STOREFLOW_PUBLIC_URL": "http://storeflow.test",
        }
    )
    config["WTF_CSRF_ENABLED"] = False
    config.update(overrides)
    return config
