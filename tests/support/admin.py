"""Fixtures for the support admin: staff accounts and signed-in browsers per role."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.models.support import create_user
from tests.support.embedded import csrf_on

__all__ = ["csrf_on"]

PASSWORD = "correct horse battery"


@pytest.fixture()
def staff(app: Flask) -> Callable[[str], FlaskClient]:
    """A browser signed in as a new staff member with this role."""

    def sign_in(role: str) -> FlaskClient:
        create_user(f"{role}@storeflow.test", PASSWORD, role)
        browser = app.test_client()
        form = {"email": f"{role}@storeflow.test", "password": PASSWORD}
        form["csrf_token"] = csrf_token(browser.get("/admin/login").get_data(as_text=True), False)
        response = browser.post("/admin/login", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return sign_in


def csrf_token(html: str, required: bool = True) -> str:
    """The CSRF token of the (first) form on a page, as the browser would send it back."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found is not None or not required, "no CSRF token on the page"
    return found.group(1) if found else ""
