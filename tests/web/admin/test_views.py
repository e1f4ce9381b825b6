"""What each role may do in the support admin, and that every change is audited."""

from __future__ import annotations

import base64
import json

import pytest

from app.models import AuditLog, Customer, ShopScope, Suppression, WebhookDelivery, db
from tests.support.admin import csrf_token
from tests.support.flows import cart_payload

SECRETS = {"access_token": "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", "shared_secret": "ws-9b8a7c6d"}


def _edit(browser, view: str, row_id: int, **fields) -> object:
    page = browser.get(f"/admin/{view}/edit/?id={row_id}").get_data(as_text=True)
    return browser.post(
        f"/admin/{view}/edit/?id={row_id}", data={"csrf_token": csrf_token(page), **fields}
    )


def test_viewer_reads_but_cannot_edit(staff, customer):
    browser = staff("viewer")
    assert "ola@example.com" in browser.get("/admin/customer/").get_data(as_text=True)
    assert browser.get(f"/admin/customer/edit/?id={customer.id}").status_code == 302
    browser.post(f"/admin/customer/edit/?id={customer.id}", data={"email_consent": "withdrawn"})
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).email_consent == "granted"
    assert db.session.scalars(db.select(AuditLog)).first() is None


def test_agent_withdraws_consent_and_the_change_is_audited_with_the_agent(staff, customer):
    browser = staff("agent")
    response = _edit(
        browser, "customer", customer.id, email_consent="withdrawn", sms_consent="unknown"
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Customer, customer.id)
    assert (row.email_consent, row.email_consent_source) == ("withdrawn", "support")
    entry = ShopScope(customer.shop_id).first(AuditLog)
    assert entry is not None
    assert (entry.actor, entry.action, entry.subject) == (
        "support:agent@storeflow.test",
        "admin_edit",
        f"customers:{customer.id}",
    )
    assert entry.details["email_consent"] == ["granted", "withdrawn"]


def test_agent_cannot_change_fields_outside_the_form(staff, customer):
    browser = staff("agent")
    _edit(
        browser,
        "customer",
        customer.id,
        email_consent="granted",
        sms_consent="unknown",
        email="x@evil.example",
    )
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).email == "ola@example.com"


def test_edit_without_the_csrf_token_is_refused(staff, customer):
    browser = staff("agent")
    browser.post(f"/admin/customer/edit/?id={customer.id}", data={"email_consent": "withdrawn"})
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).email_consent == "granted"


def test_audit_log_is_read_only_even_for_admins(staff, shop):
    entry = ShopScope(shop.id).add(AuditLog(actor="system", action="x"))
    db.session.commit()
    browser = staff("admin")
    assert browser.get("/admin/auditlog/").status_code == 200
    assert browser.get(f"/admin/auditlog/edit/?id={entry.id}").status_code == 302
    # With a valid CSRF token, so a refusal can only come from the view being read-only.
    _delete(browser, "auditlog", entry.id, shop.id)
    db.session.expire_all()
    assert db.session.scalars(db.select(AuditLog)).one().action == "x"


@pytest.fixture()
def suppression(shop) -> Suppression:
    row = ShopScope(shop.id).add(
        Suppression(channel="email", address="ola@example.com", reason="unsubscribe")
    )
    db.session.commit()
    return row


def _delete(browser, view: str, row_id: int, shop_id: int):
    # The token of a form the role does have (the shop's edit form): a refusal is the role's.
    page = browser.get(f"/admin/shop/edit/?id={shop_id}").get_data(as_text=True)
    return browser.post(
        f"/admin/{view}/delete/", data={"id": str(row_id), "csrf_token": csrf_token(page)}
    )


def test_only_an_admin_lifts_a_suppression_and_it_is_audited(staff, suppression):
    _delete(staff("agent"), "suppression", suppression.id, suppression.shop_id)
    assert db.session.scalars(db.select(Suppression)).first() is not None
    _delete(staff("admin"), "suppression", suppression.id, suppression.shop_id)
    db.session.expire_all()
    assert db.session.scalars(db.select(Suppression)).first() is None
    entry = db.session.scalars(db.select(AuditLog)).one()
    assert (entry.actor, entry.action) == ("support:admin@storeflow.test", "admin_delete")
    assert entry.details["address"] == "ola@example.com"


def test_credentials_never_appear_in_any_admin_page(staff, make_shop, customer):
    shop = make_shop(n=9, platform="shopify", credentials=SECRETS, settings={"connect": SECRETS})
    browser = staff("admin")
    encrypted = base64.b64encode(shop.credentials_encrypted or b"").decode()
    pages = [f"/admin/{view}/" for view in ("shop", "customer", "webhookdelivery", "auditlog")]
    pages += [f"/admin/shop/details/?id={shop.id}", f"/admin/shop/edit/?id={shop.id}", "/admin/"]
    for page in pages:
        response = browser.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        for secret in (*SECRETS.values(), encrypted[:40], shop.credentials_encrypted.decode()):
            assert secret not in html, page
        assert "credentials" not in html, page
    assert shop.domain in browser.get("/admin/shop/").get_data(as_text=True)


def _failed_delivery(shop) -> WebhookDelivery:
    row = ShopScope(shop.id).add(
        WebhookDelivery(
            platform="demo",
            delivery_id="d-failed",
            topic="cart/updated",
            body=json.dumps(cart_payload("c-9")).encode(),
            status="failed",
            attempts=5,
            last_error="OperationalError: database restarting",
        )
    )
    db.session.commit()
    return row


def _retry(browser, row_id: int):
    page = browser.get("/admin/webhookdelivery/").get_data(as_text=True)
    return browser.post(
        "/admin/webhookdelivery/action/",
        data={"action": "retry", "rowid": str(row_id), "csrf_token": csrf_token(page, False)},
    )


def test_agent_retries_a_failed_delivery_and_a_worker_processes_it(staff, shop, run_jobs):
    delivery = _failed_delivery(shop)
    browser = staff("agent")
    assert "Retry" in browser.get("/admin/webhookdelivery/").get_data(as_text=True)
    assert _retry(browser, delivery.id).status_code == 302
    db.session.expire_all()
    row = db.session.get(WebhookDelivery, delivery.id)
    assert (row.status, row.attempts, row.last_error) == ("received", 0, None)
    entry = ShopScope(shop.id).first(AuditLog)
    assert entry is not None and entry.action == "admin_retry_delivery"
    assert entry.actor == "support:agent@storeflow.test" and entry.details["attempts"] == 5
    assert run_jobs("events") == 1
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == "processed"


def test_viewer_cannot_retry_a_delivery(staff, shop, run_jobs):
    delivery = _failed_delivery(shop)
    browser = staff("viewer")
    assert "Retry" not in browser.get("/admin/webhookdelivery/").get_data(as_text=True)
    _retry(browser, delivery.id)
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == "failed"
    assert run_jobs("events") == 0
    assert db.session.scalars(db.select(AuditLog)).first() is None


def test_agent_renames_a_shop_audited_and_its_credentials_stay_intact(staff, make_shop):
    shop = make_shop(n=9, platform="shopify", credentials=SECRETS)
    browser = staff("agent")
    assert "Sign out" in browser.get("/admin/").get_data(as_text=True)
    response = _edit(browser, "shop", shop.id, name="Renamed", locale="ro", timezone="UTC")
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(type(shop), shop.id)
    assert (row.name, row.locale, row.credentials) == ("Renamed", "ro", SECRETS)
    entry = ShopScope(shop.id).first(AuditLog)
    assert entry is not None and entry.details["name"] == ["Test shop", "Renamed"]
    assert "credentials_encrypted" not in entry.details
