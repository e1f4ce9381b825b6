"""The support account `make run` prints: development only, made once."""

from __future__ import annotations

from app.demo.staff import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_user
from app.models import SupportUser, db


def _users() -> list[SupportUser]:
    return list(db.session.scalars(db.select(SupportUser)))


def test_demo_support_user_exists_only_in_development(app, client):
    assert seed_demo_user() is None and _users() == []  # the test environment
    app.config["STOREFLOW_ENV"] = "development"
    try:
        user = seed_demo_user()
        assert seed_demo_user() == user  # running `make run` twice makes one account
    finally:
        app.config["STOREFLOW_ENV"] = "test"
    response = client.post("/admin/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302
