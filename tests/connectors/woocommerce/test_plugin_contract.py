"""The PHP plugin and the Python service agree byte for byte: each side runs its own code."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.connectors.woocommerce.signing import issue_restore_token, verify_embedded_token
from app.models import Cart, db
from tests.support.woocommerce import SECRET, STORE_URL

PLUGIN = Path(__file__).resolve().parents[3] / "wordpress-plugin" / "storeflow"
pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="needs php (CI installs it)")


def _php(code: str) -> str:
    classes = ["Json", "InvalidToken", "SignedToken", "RestoreToken", "EmbeddedToken"]
    requires = "".join(f"require_once '{PLUGIN}/includes/{c}.php';" for c in classes)
    prelude = "define('STOREFLOW_CLI', true);" + requires
    result = subprocess.run(
        ["php", "-r", prelude + code], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout


def test_cart_event_signed_by_the_php_plugin_is_accepted_and_stored(
    client, woo_shop, run_jobs, tmp_path
):
    body = json.dumps(
        {
            "cart_key": "wc_cart_7f3a",
            "customer_id": 0,
            "session_id": "t_5e1",
            "email": "zofia@example.pl",
            "phone": None,
            "first_name": "Zofia",
            "last_name": "Żak",
            "locale": "pl_PL",
            "consent": True,
            "items": [
                {
                    "product_id": 12,
                    "variation_id": 0,
                    "quantity": 2,
                    "line_total": "39.98",
                    "name": "Koszula lniana \u2013 żółta",
                    "image": "https://shop.example/i.jpg",
                    "permalink": "https://shop.example/p/koszula",
                }
            ],
            "coupons": [],
            "totals": {"subtotal": "39.98", "total": "49.98"},
            "currency": "PLN",
            "updated_at": "2026-11-20T10:00:00+00:00",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    (tmp_path / "body.json").write_bytes(body)
    headers = json.loads(
        subprocess.run(
            [
                "php",
                str(PLUGIN / "bin" / "sign-event.php"),
                SECRET,
                str(int(time.time())),
                str(tmp_path / "body.json"),
                "cart.updated",
                STORE_URL,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    )

    response = client.post("/webhooks/woocommerce", data=body, headers=headers)

    assert response.status_code == 200, response.get_json()
    assert run_jobs("events") == 1
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.email) == ("wc_cart_7f3a", "zofia@example.pl")
    assert cart.items[0]["title"] == "Koszula lniana \u2013 żółta"


def test_restore_token_issued_by_the_service_is_parsed_by_the_plugin():
    token = issue_restore_token(
        SECRET, "wc_cart_7f3a", [(12, 0, 2), (30, 31, 1)], "SF-ŻÓŁW10", int(time.time()) + 600
    )
    out = _php(
        f"$t = Storeflow\\RestoreToken::parse('{SECRET}', '{token}', time());"
        "echo json_encode([$t->cart_key, $t->items, $t->discount], JSON_UNESCAPED_UNICODE);"
    )
    cart_key, items, discount = json.loads(out)
    assert cart_key == "wc_cart_7f3a"
    assert discount == "SF-ŻÓŁW10"
    assert items == [[12, 0, 2], [30, 31, 1]]


def test_embedded_token_minted_by_the_plugin_is_accepted_by_the_service():
    now = int(time.time())
    token = _php(f"echo Storeflow\\EmbeddedToken::mint('{SECRET}', '{STORE_URL}', 7, {now});")
    claims = verify_embedded_token(SECRET, token.strip(), now=now + 10)
    assert (claims["store"], claims["user"]) == (STORE_URL, 7)
