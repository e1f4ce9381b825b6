"""The acceptance run needs a real store and a running service; without them it is skipped."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.woocommerce.store import Acceptance, Mailbox, ServiceDb, WpAdmin

ACCEPTANCE = Acceptance.from_env()
NOT_CONFIGURED = (
    "no real store given: set STOREFLOW_ACCEPT_WC_URL, STOREFLOW_ACCEPT_WC_ADMIN_USER, "
    "STOREFLOW_ACCEPT_WC_ADMIN_PASSWORD and STOREFLOW_ACCEPT_SERVICE_URL"
)


@pytest.fixture(scope="module")
def acc() -> Acceptance:
    assert ACCEPTANCE is not None
    return ACCEPTANCE


@pytest.fixture(scope="module")
def admin(acc: Acceptance) -> WpAdmin:
    wp = WpAdmin(acc)
    wp.log_in()
    return wp


@pytest.fixture(scope="module")
def service_db(acc: Acceptance) -> ServiceDb:
    if not acc.database_url:
        pytest.skip("STOREFLOW_ACCEPT_DATABASE_URL (the service's database, read only) not set")
    return ServiceDb(acc.database_url)


@pytest.fixture(scope="module")
def mail(acc: Acceptance) -> Mailbox:
    if not acc.maildir:
        pytest.skip("STOREFLOW_ACCEPT_MAILDIR (where the SMTP sink stores mail) not set")
    return Mailbox(acc.maildir)


@pytest.fixture(scope="module")
def journey() -> dict[str, Any]:
    """What one step leaves for the next (shop id, shoppers, orders)."""
    return {}
