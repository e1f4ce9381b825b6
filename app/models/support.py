"""Support staff who sign in to the admin. Not shop-owned: staff serve every shop."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.models.base import db, utcnow

# viewer reads; agent also edits the few fields support requests need; admin everything allowed.
SUPPORT_ROLES = ("viewer", "agent", "admin")


class SupportUser(db.Model):  # type: ignore[name-defined]
    __tablename__ = "support_users"
    __table_args__ = (sa.CheckConstraint("role IN ('viewer', 'agent', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(10), default="viewer")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<SupportUser {self.id} {self.email} {self.role}>"


def find_user(email: str) -> SupportUser | None:
    return db.session.scalars(
        db.select(SupportUser).where(SupportUser.email == email.strip().lower())
    ).first()


def create_user(email: str, password: str, role: str) -> SupportUser:
    """A new active account; ValueError (with the reason) if it cannot be made."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if role not in SUPPORT_ROLES:
        raise ValueError(f"role must be one of {', '.join(SUPPORT_ROLES)}")
    if find_user(email) is not None:
        raise ValueError(f"{email} already has an account")
    user = SupportUser(email=email, role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
