"""Signing in to the support admin."""

from __future__ import annotations

import pytest

from app.models import SupportUser, db
from app.models.support import create_user
from tests.support.admin import PASSWORD, csrf_token

PAGES = [
    "/admin/",
    "/admin/shop/",
    "/admin/customer/",
    "/admin/cart/",
    "/admin/order/",
    "/admin/flowrun/",
    "/admin/message/",
    "/admin/webhookdelivery/",
    "/admin/suppression/",
    "/admin/auditlog/",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_admin_page_sends_a_stranger_to_the_login(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response.location.startswith("/admin/login?next=")


def test_staff_signs_in_and_lands_where_they_were_going(app, client):
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    response = client.post(
        "/admin/login?next=/admin/shop/",
        data={"email": "Ana@storeflow.test ", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/admin/shop/"
    assert client.get("/admin/shop/").status_code == 200


def test_login_never_redirects_to_another_site(app, client):
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    response = client.post(
        "/admin/login?next=https://evil.example/",
        data={"email": "ana@storeflow.test", "password": PASSWORD},
    )
    assert response.location == "/admin/"


@pytest.mark.parametrize("password, active", [("wrong password!", True), (PASSWORD, False)])
def test_wrong_password_or_disabled_account_is_refused(app, client, password, active):
    user = create_user("ana@storeflow.test", PASSWORD, "admin")
    user.active = active
    db.session.commit()
    response = client.post("/admin/login", data={"email": user.email, "password": password})
    assert response.status_code == 400
    assert "Email or password is wrong" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_disabling_an_account_ends_its_open_sessions(staff):
    browser = staff("admin")
    user = db.session.scalars(db.select(SupportUser)).one()
    user.active = False
    db.session.commit()
    assert browser.get("/admin/shop/").status_code == 302


def test_login_form_without_csrf_token_is_refused(app, client, csrf_on):
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    data = {"email": "ana@storeflow.test", "password": PASSWORD}
    assert client.post("/admin/login", data=data).status_code == 400
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    assert client.post("/admin/login", data={**data, "csrf_token": token}).status_code == 302


def test_logout_needs_the_form_and_ends_the_session(staff, csrf_on):
    browser = staff("viewer")
    page = browser.get("/admin/logout")
    assert page.status_code == 200 and browser.get("/admin/").status_code == 200
    assert browser.post("/admin/logout").status_code == 200  # no token: still signed in
    assert browser.get("/admin/").status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    assert browser.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/admin/").status_code == 302
