"""Shop credentials are encrypted at rest, with key rotation."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app import crypto
from app.models import Shop, db


def test_access_tokens_are_not_stored_in_clear(make_shop):
    shop = make_shop(credentials={"access_token": "shpat_secret_token"})
    raw = db.session.execute(
        sa.text("SELECT credentials_encrypted FROM shops WHERE id = :id"), {"id": shop.id}
    ).scalar_one()
    assert b"shpat_secret_token" not in bytes(raw)
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).credentials == {"access_token": "shpat_secret_token"}


def test_rotation_keeps_old_tokens_readable_and_reencrypts_under_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = crypto.encrypt_json({"k": "v"}, keys=[old])
    assert crypto.decrypt_json(token, keys=[new, old]) == {"k": "v"}
    rotated = crypto.rotate(token, keys=[new, old])
    assert crypto.decrypt_json(rotated, keys=[new]) == {"k": "v"}
