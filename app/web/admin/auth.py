"""Support staff sign-in: Flask-Login sessions, a CSRF-protected login form."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, flash, g, redirect, render_template, request
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.logs import fields as log_fields
from app.models import SupportUser, db, utcnow
from app.models.support import find_user
from app.web.rate_limit import blocked_for, over_limit

log = logging.getLogger(__name__)
bp = Blueprint("support_auth", __name__)
# After this many wrong passwords in LOCKOUT_SECONDS (per account, or per client address) the
# sign-in answers 429 with Retry-After until the window ends, right password or not.
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
LOCKOUT_SECONDS = 15 * 60
login_manager = LoginManager()
login_manager.login_view = "support_auth.login"
login_manager.login_message = "Sign in to use the support admin."


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(_forget_cached_staff)


def _forget_cached_staff() -> None:
    # Flask-Login caches the user on ``g``, and a request reuses an app context that is already
    # pushed (tests, scripts): one request's staff member must never serve the next.
    g.pop("_login_user", None)


@login_manager.user_loader
def _load(user_id: str) -> SupportUser | None:
    user = db.session.get(SupportUser, int(user_id)) if user_id.isdigit() else None
    # A deactivated account loses its open sessions at the next request.
    return user if user is not None and user.active else None


def actor() -> str:
    """How audit entries name the signed-in staff member."""
    return f"support:{current_user.email}"


def role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    # Only a path on this site: an open redirect would make our login page a phishing tool.
    parsed = urlparse(target or "")
    if target and not parsed.scheme and not parsed.netloc and target.startswith("/"):
        return target
    return "/admin/"


def _sign_in_limits(email: str) -> tuple[tuple[str, str, int], ...]:
    """Wrong passwords counted per account (a guess at one staff member's password from many
    addresses) and per client address (one address trying many accounts)."""
    return (
        ("admin-login-email", email.strip().lower()[:320], FAILURES_PER_ACCOUNT),
        ("admin-login-ip", request.remote_addr or "-", FAILURES_PER_ADDRESS),
    )


def _locked_out(email: str) -> int | None:
    waits = [blocked_for(n, key, limit=limit) for n, key, limit in _sign_in_limits(email)]
    return max((wait for wait in waits if wait is not None), default=None)


def _count_failure(email: str) -> None:
    for name, key, limit in _sign_in_limits(email):
        over_limit(name, key, limit=limit, window=LOCKOUT_SECONDS)


@bp.route("/admin/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        wait = _locked_out(email)
        if wait is not None:
            log.warning("support sign-in locked out", extra=log_fields(retry_after=wait))
            flash("Too many wrong passwords. Try again in a few minutes.", "error")
            page = render_template("admin_auth/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        user = find_user(email)
        if user is not None and user.active and user.check_password(form.password.data or ""):
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        _count_failure(email)
        log.warning("support sign-in refused", extra=log_fields(address=request.remote_addr))
        flash("Email or password is wrong, or the account is disabled.", "error")
    status = 400 if request.method == "POST" else 200
    return render_template("admin_auth/login.html", form=form), status


class LogoutForm(FlaskForm):
    """No fields: the CSRF token alone, so another site cannot sign staff out."""


@bp.route("/admin/logout", methods=["GET", "POST"])
def logout() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        return redirect("/admin/login")
    return render_template("admin_auth/logout.html", form=form)
