"""Creating support accounts from the command line."""

from __future__ import annotations

import pytest

from app.models import SupportUser, db
from app.models.support import create_user


def _users() -> list[SupportUser]:
    return list(db.session.scalars(db.select(SupportUser)))


def test_create_support_user_asks_for_the_password_and_stores_only_its_hash(app):
    result = app.test_cli_runner().invoke(
        args=["storeflow", "create-support-user", "Lead@Storeflow.test", "--role", "admin"],
        input="a long enough secret\na long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "support user lead@storeflow.test (admin) created" in result.output
    [user] = _users()
    assert (user.email, user.role, user.active) == ("lead@storeflow.test", "admin", True)
    assert "a long enough secret" not in user.password_hash
    assert user.check_password("a long enough secret")


def test_create_support_user_refuses_a_short_password_or_a_taken_email(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["storeflow", "create-support-user", "ana@storeflow.test"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    assert _users() == []
    args = ["storeflow", "create-support-user", "ana@storeflow.test"]
    assert runner.invoke(args=args, input="twelve chars!\ntwelve chars!\n").exit_code == 0
    again = runner.invoke(args=args, input="twelve chars!\ntwelve chars!\n")
    assert again.exit_code != 0 and "already has an account" in again.output
    assert [u.role for u in _users()] == ["viewer"]


def test_create_support_user_refuses_an_unknown_role(app):
    result = app.test_cli_runner().invoke(
        args=["storeflow", "create-support-user", "ana@storeflow.test", "--role", "root"],
        input="twelve chars!\ntwelve chars!\n",
    )
    assert result.exit_code == 2 and _users() == []
    assert "Invalid value for '--role': 'root' is not one of" in result.output
    with pytest.raises(ValueError, match="role must be one of"):
        create_user("ana@storeflow.test", "twelve chars!", "root")
    assert _users() == []
