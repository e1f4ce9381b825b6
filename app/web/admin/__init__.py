"""The support staff admin at ``/admin/``: sign-in, roles, read-mostly views, audit log.

``auth`` signs staff in (Flask-Login); ``views`` holds the Flask-Admin views, which show no
secrets and write every change to ``AuditLog``; ``commands`` creates staff accounts.
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from app.web.admin import auth, security, views


def init_app(app: Flask) -> None:
    auth.init_app(app)
    security.init_app(app)
    # A new Admin and new views per app: Flask-Admin views cannot be shared between apps.
    admin = Admin(
        name="Storeflow support",
        url="/admin",
        index_view=views.StaffIndexView(url="/admin"),
        theme=Bootstrap4Theme(),
        csp_nonce_generator=security.csp_nonce,
    )
    for view in views.all_views():
        admin.add_view(view)
    admin.add_link(MenuLink(name="Sign out", url="/admin/logout"))
    admin.init_app(app)
