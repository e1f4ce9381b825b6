"""The base of every support view: signed-in staff only, edits by role, every change audited."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_login import current_user

from app.web.admin.audit import changed_fields, record
from app.web.admin.auth import role


def _to_login() -> Any:
    return redirect(url_for("support_auth.login", next=request.full_path))


class StaffIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _to_login()


class StaffView(ModelView):
    """Read-only unless the signed-in role is in ``edit_roles`` (or ``delete_roles``)."""

    form_base_class = SecureForm  # CSRF on every edit form
    can_view_details = True
    can_create = False
    can_export = False
    column_display_pk = True
    page_size = 50
    edit_roles: tuple[str, ...] = ()
    delete_roles: tuple[str, ...] = ()

    @property
    def can_edit(self) -> bool:
        return role() in self.edit_roles

    @property
    def can_delete(self) -> bool:
        return role() in self.delete_roles

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return _to_login()

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Called after the form filled the row and before the commit: one transaction.
        record(model, "admin_create" if is_created else "admin_edit", changed_fields(model))

    def on_model_delete(self, model: Any) -> None:
        snapshot = {c.key: str(getattr(model, c.key)) for c in model.__table__.columns}
        record(model, "admin_delete", snapshot)
