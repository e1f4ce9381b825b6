"""The support admin stands apart: its own strict session cookie, security headers on every
page, and a sign-in that locks out after repeated wrong passwords (429 with Retry-After)."""

from __future__ import annotations

import pytest

from app.models.support import create_user
from app.web.admin.auth import FAILURES_PER_ACCOUNT
from tests.support.admin import PASSWORD


def _cookie_lines(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


@pytest.mark.parametrize("page", ["/admin/login", "/admin/", "/admin/shop/"])
def test_every_admin_page_sends_csp_frame_and_sniffing_headers(staff, page):
    response = staff("viewer").get(page)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_inline_scripts_carry_the_csp_nonce(staff):
    response = staff("viewer").get("/admin/shop/")
    assert response.status_code == 200
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_pages_outside_the_admin_keep_their_own_headers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers
    assert "X-Frame-Options" not in response.headers


def test_admin_sign_in_sets_its_own_strict_cookie_and_no_shared_session(app):
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    browser = app.test_client()
    response = browser.post(
        "/admin/login", data={"email": "ana@storeflow.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    (line,) = _cookie_lines(response)
    assert line.startswith("storeflow_admin=")
    assert "Path=/admin" in line and "SameSite=Strict" in line and "HttpOnly" in line
    assert "Secure" not in line  # plain http in tests; see the https test below
    assert browser.get("/admin/shop/").status_code == 200


def test_admin_cookie_is_secure_under_https(app):
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    browser = app.test_client()
    response = browser.post(
        "/admin/login",
        data={"email": "ana@storeflow.test", "password": PASSWORD},
        base_url="https://storeflow.test",
    )
    (line,) = _cookie_lines(response)
    assert line.startswith("storeflow_admin=") and "; Secure" in line


def test_the_shared_session_cookie_cannot_stand_in_for_the_admin_one(app):
    """A session cookie from elsewhere on the site (signed with the same key) is not an admin
    session: the admin cookie has its own name and signing salt."""
    create_user("ana@storeflow.test", PASSWORD, "viewer")
    browser = app.test_client()
    browser.post("/admin/login", data={"email": "ana@storeflow.test", "password": PASSWORD})
    admin_value = browser.get_cookie("storeflow_admin", path="/admin").value
    stranger = app.test_client()
    stranger.set_cookie("session", admin_value)
    assert stranger.get("/admin/shop/").status_code == 302  # to the login
    with app.test_request_context("/"):
        main = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "1"})
    stranger.set_cookie("storeflow_admin", main, path="/admin")
    assert stranger.get("/admin/shop/").status_code == 302


def test_sign_in_locks_out_after_repeated_wrong_passwords(app):
    create_user("ana@storeflow.test", PASSWORD, "admin")
    create_user("bob@storeflow.test", PASSWORD, "viewer")
    browser = app.test_client()
    wrong = {"email": "ana@storeflow.test", "password": "not the password"}
    for _ in range(FAILURES_PER_ACCOUNT):
        assert browser.post("/admin/login", data=wrong).status_code == 400
    right = {"email": "ana@storeflow.test", "password": PASSWORD}
    locked = browser.post("/admin/login", data=right)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in locked.get_data(as_text=True)
    assert browser.get("/admin/shop/").status_code == 302  # not signed in
    # Another account from another address is not locked out by Ana's.
    other = app.test_client()
    response = other.post(
        "/admin/login",
        data={"email": "bob@storeflow.test", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302


def test_a_few_wrong_passwords_do_not_lock_out_the_right_one(app):
    create_user("ana@storeflow.test", PASSWORD, "admin")
    browser = app.test_client()
    wrong = {"email": "ana@storeflow.test", "password": "not the password"}
    for _ in range(FAILURES_PER_ACCOUNT - 1):
        assert browser.post("/admin/login", data=wrong).status_code == 400
    right = {"email": "ana@storeflow.test", "password": PASSWORD}
    assert browser.post("/admin/login", data=right).status_code == 302
