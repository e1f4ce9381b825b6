"""The support account ``make run`` prints, so a newcomer can open ``/admin/`` at once."""

from __future__ import annotations

from flask import current_app

from app.models import SupportUser
from app.models.support import create_user, find_user

DEMO_EMAIL = "support@storeflow.local"
DEMO_PASSWORD = "storeflow-demo"  # development only: seed_demo_user refuses elsewhere


def seed_demo_user() -> SupportUser | None:
    """The demo admin account, in development only; None anywhere else."""
    if current_app.config["STOREFLOW_ENV"] != "development":
        return None
    return find_user(DEMO_EMAIL) or create_user(DEMO_EMAIL, DEMO_PASSWORD, "admin")
