"""Support staff sign-in: Flask-Login sessions, a CSRF-protected login form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, flash, g, redirect, render_template, request
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.models import SupportUser, db, utcnow
from app.models.support import find_user

bp = Blueprint("support_auth", __name__)
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


@bp.route("/admin/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data or "")
        if user is not None and user.active and user.check_password(form.password.data or ""):
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
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
