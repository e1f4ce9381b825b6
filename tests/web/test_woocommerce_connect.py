"""Connecting a store: start, wc-auth callback, webhooks created once, catalog sync started."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import config_for_tests
from app.connectors.woocommerce.connect import finish_connect
from app.connectors.woocommerce.reconcile import reconcile_stores
from app.connectors.woocommerce.signing import sign_token
from app.connectors.woocommerce.webhooks import WEBHOOK_TOPICS
from app.models import AuditLog, Product, Shop, db, utcnow
from tests.support.woocommerce import SECRET, STORE_URL, compact, plugin_headers

NEW_SECRET = "9c" * 32
pytestmark = pytest.mark.usefixtures("public_test_hosts")


def start(client, **overrides):
    body = {
        "store_url": STORE_URL,
        "shared_secret": NEW_SECRET,
        "return_url": f"{STORE_URL}/wp-admin/admin.php?page=storeflow",
        **overrides,
    }
    return client.post("/connect/woocommerce/start", json=body)


def keys(user_id, **overrides):
    return {
        "key_id": 7,
        "user_id": user_id,
        "consumer_key": "ck_" + "a" * 40,
        "consumer_secret": "cs_" + "b" * 40,
        "key_permissions": "read_write",
        **overrides,
    }


def authorize_query(response) -> dict[str, str]:
    url = urlparse(response.get_json()["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{STORE_URL}/wc-auth/v1/authorize"
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def the_shop() -> Shop:
    db.session.expire_all()
    return db.session.scalars(sa.select(Shop).where(Shop.platform == "woocommerce")).one()


def test_start_answers_the_wc_auth_url_with_our_callback(client):
    response = start(client)
    assert response.status_code == 200
    query = authorize_query(response)
    assert (query["app_name"], query["scope"]) == ("Storeflow", "read_write")
    assert query["callback_url"] == "http://storeflow.test/connect/woocommerce/callback"
    assert query["return_url"] == f"{STORE_URL}/wp-admin/admin.php?page=storeflow"
    shop = the_shop()
    assert (shop.domain, shop.status) == ("shop.example", "installing")
    assert query["user_id"].startswith(f"{shop.id}.")


def test_connect_end_to_end_stores_keys_encrypted_creates_webhooks_once_and_syncs(
    client, fake_store, run_jobs
):
    fake_store.add_products(3)
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    assert the_shop().status == "installing"  # nothing changes before the store proves the keys
    assert run_jobs("sync") >= 1

    shop = the_shop()
    assert shop.status == "active"
    assert shop.credentials["consumer_secret"] == "cs_" + "b" * 40
    assert shop.credentials["shared_secret"] == NEW_SECRET
    assert b"cs_bbbb" not in shop.credentials_encrypted and NEW_SECRET.encode() not in (
        shop.credentials_encrypted
    )
    # The store's identity, read while proving the keys: WooCommerce's general settings,
    # WordPress's REST index and WooCommerce's system status.
    assert shop.currency == "PLN"
    assert shop.legal_address.text == "ul. Mokotowska 12, lok. 4, 00-561 Warszawa, Polska"
    assert (shop.name, shop.timezone, shop.locale) == ("Sklep Ani", "Europe/Warsaw", "pl")
    assert sorted(h["topic"] for h in fake_store.webhooks) == sorted(WEBHOOK_TOPICS)
    assert {h["delivery_url"] for h in fake_store.webhooks} == {
        "http://storeflow.test/webhooks/woocommerce"
    }
    assert {h["secret"] for h in fake_store.webhooks} == {NEW_SECRET}
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 3

    finish_connect(shop.id)  # a retried job, or a reconnect, creates nothing new
    assert len(fake_store.webhooks) == len(WEBHOOK_TOPICS)


def test_callback_nonce_works_once(client, fake_store):
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    again = client.post("/connect/woocommerce/callback", json=keys(user_id))
    assert again.status_code == 400
    assert "unknown or already used" in again.get_json()["error"]


@pytest.mark.parametrize(
    "user_id",
    ["1.wrong-nonce", "999.abc", "not-a-user-id", ""],
    ids=["nonce", "shop", "form", "empty"],
)
def test_callback_with_a_forged_user_id_is_refused_and_changes_nothing(client, user_id):
    authorize_query(start(client))
    response = client.post("/connect/woocommerce/callback", json=keys(user_id))
    assert response.status_code == 400
    assert the_shop().status == "installing"


def test_callback_after_an_hour_is_refused(client):
    user_id = authorize_query(start(client))["user_id"]
    shop = the_shop()
    connect = {
        **shop.settings["connect"],
        "started_at": (utcnow() - timedelta(hours=2)).isoformat(),
    }
    shop.settings = {**shop.settings, "connect": connect}
    db.session.commit()
    response = client.post("/connect/woocommerce/callback", json=keys(user_id))
    assert response.status_code == 400 and "expired" in response.get_json()["error"]


def test_read_only_keys_are_refused(client):
    user_id = authorize_query(start(client))["user_id"]
    response = client.post(
        "/connect/woocommerce/callback", json=keys(user_id, key_permissions="read")
    )
    assert response.status_code == 400


def test_start_for_a_connected_store_does_not_replace_its_secret_until_approved(client, woo_shop):
    before = woo_shop.credentials["shared_secret"]
    assert start(client).status_code == 200
    assert the_shop().credentials["shared_secret"] == before
    assert the_shop().credentials["pending_shared_secret"] == NEW_SECRET


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"shared_secret": "short"}, "64 lower-case hex"),
        ({"store_url": "ftp://shop.example"}, "http(s)"),
        ({"return_url": "https://evil.example/x"}, "store's own host"),
        ({"store_url": None}, "missing fields: store_url"),
    ],
)
def test_bad_start_requests_get_a_clear_400(client, overrides, message):
    response = start(client, **overrides)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize(
    "store_url",
    ["https://127.0.0.1", "https://10.0.0.5", "http://[::1]:8080", "https://169.254.1.1"],
)
def test_private_and_loopback_store_addresses_are_refused_outside_tests(app, client, store_url):
    app.config["ALLOW_PRIVATE_STORE_URLS"] = False
    response = start(client, store_url=store_url, return_url=f"{store_url}/wp-admin/")
    assert response.status_code == 400
    assert "non-public" in response.get_json()["error"]
    assert db.session.scalars(sa.select(Shop)).all() == []


ATTACKER_SECRET = "ab" * 32


def test_takeover_of_a_connected_store_is_refused_at_every_step(
    client, woo_shop, fake_store, run_jobs
):
    # 1. A stranger asks to connect the victim's store with a secret of their own: we cannot
    #    tell them from the store's admin yet, so they get an authorize URL...
    response = start(client, shared_secret=ATTACKER_SECRET)
    assert response.status_code == 200
    user_id = authorize_query(response)["user_id"]
    # 2. ...and post our callback themselves with keys they made up.
    forged = keys(user_id, consumer_key="ck_" + "f" * 40, consumer_secret="cs_" + "f" * 40)
    assert client.post("/connect/woocommerce/callback", json=forged).status_code == 200
    # 3. The store's own REST API refuses those keys, so nothing of the shop changes.
    assert run_jobs("sync") == 1
    shop = the_shop()
    assert shop.status == "active"
    assert shop.credentials == {
        "shared_secret": SECRET,
        "consumer_key": "ck_test",
        "consumer_secret": "cs_test",
    }
    refused = db.session.scalars(sa.select(AuditLog).where(AuditLog.shop_id == shop.id)).one()
    assert (refused.action, refused.details["status"]) == ("connect_refused", 401)
    # 4. Their secret opens no merchant page and signs no event.
    token = sign_token(
        ATTACKER_SECRET, {"store": STORE_URL, "user": 1, "exp": int(time.time()) + 60}
    )
    assert client.get(f"/embedded/woocommerce?wp_token={token}").status_code == 401
    body = compact({"cart_key": "x"})
    event = client.post(
        "/webhooks/woocommerce",
        data=body,
        headers=plugin_headers(body, "cart/updated", secret=ATTACKER_SECRET),
    )
    assert event.status_code == 401
    # 5. The nonce is spent: the same callback again is refused outright.
    assert client.post("/connect/woocommerce/callback", json=forged).status_code == 400


def test_keys_the_store_refuses_never_connect_a_new_store(client, fake_store, run_jobs):
    user_id = authorize_query(start(client))["user_id"]
    forged = keys(user_id, consumer_key="ck_" + "f" * 40, consumer_secret="cs_" + "f" * 40)
    assert client.post("/connect/woocommerce/callback", json=forged).status_code == 200
    assert run_jobs("sync") == 1
    shop = the_shop()
    assert shop.status == "installing"
    assert "pending_keys" not in shop.credentials and "consumer_key" not in shop.credentials
    assert fake_store.webhooks == []


def test_connect_start_is_rate_limited_per_store_with_a_retry_after(client):
    answers = [start(client).status_code for _ in range(11)]
    assert answers == [200] * 10 + [429]
    refused = start(client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "too many connect requests" in refused.get_json()["error"]
    # Another store is not held back by this one's limit.
    other = start(client, store_url="https://other.example", return_url="https://other.example/x")
    assert other.status_code == 200


def test_connect_callback_is_rate_limited_per_caller(client):
    answers = {client.post("/connect/woocommerce/callback", json={}).status_code for _ in range(30)}
    assert answers == {400}  # malformed, but counted
    assert client.post("/connect/woocommerce/callback", json={}).status_code == 429


def test_a_store_hiding_its_rest_index_still_connects_with_what_it_shows(
    client, fake_store, run_jobs
):
    fake_store.site_index = {"code": "rest_disabled"}  # a security plugin's answer
    fake_store.system_status = {"environment": {"language": "ro_RO"}}
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    assert run_jobs("sync") >= 1
    shop = the_shop()
    assert shop.status == "active"
    assert (shop.name, shop.timezone, shop.locale) == ("shop.example", "UTC", "ro")


def test_reconnecting_a_live_store_with_keys_it_issued_rotates_the_secret_not_its_history(
    client, woo_shop, fake_store, run_jobs
):
    connected_since = utcnow() - timedelta(days=30)
    woo_shop.installed_at = connected_since
    db.session.commit()
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    assert run_jobs("sync") >= 1
    shop = the_shop()
    assert shop.credentials["shared_secret"] == NEW_SECRET
    assert shop.credentials["previous_shared_secret"] == SECRET
    assert shop.credentials["consumer_key"] == "ck_" + "a" * 40
    # Orders from the last 30 days are still news: the store has been with us all along.
    assert shop.installed_at == connected_since


def test_keys_whose_proving_job_was_lost_are_proven_by_the_15_minute_cron(
    client, fake_store, run_jobs, redis_conn
):
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    redis_conn.flushdb()  # the finish_connect job is lost with Redis
    assert the_shop().status == "installing"

    assert reconcile_stores()["connects"] == 1
    assert run_jobs("sync") >= 1
    shop = the_shop()
    assert (shop.status, shop.credentials["consumer_key"]) == ("active", "ck_" + "a" * 40)
    assert "pending_keys" not in shop.credentials


def test_keys_no_job_could_prove_in_a_day_are_dropped_and_audited(client, fake_store):
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    shop = the_shop()
    pending = shop.credentials["pending_keys"]
    stale = (utcnow() - timedelta(hours=25)).isoformat()
    shop.credentials = {**shop.credentials, "pending_keys": {**pending, "received_at": stale}}
    db.session.commit()

    assert reconcile_stores()["connects"] == 0
    shop = the_shop()
    assert "pending_keys" not in shop.credentials and shop.status == "installing"
    assert db.session.scalars(sa.select(AuditLog.action)).all()[-1] == "connect_expired"


def test_behind_a_trusted_proxy_each_caller_has_its_own_limit_and_spoofing_is_ignored(
    app, backends
):
    proxied = create_app(
        config_for_tests(backends.database_url, backends.redis_url, TRUSTED_PROXIES=1)
    )
    behind = proxied.test_client()

    def post(test_client, caller: str) -> int:
        headers = {"X-Forwarded-For": caller}
        return test_client.post(
            "/connect/woocommerce/callback", json={}, headers=headers
        ).status_code

    assert {post(behind, "203.0.113.7") for _ in range(30)} == {400}
    assert post(behind, "203.0.113.7") == 429
    assert post(behind, "198.51.100.2") == 400  # another shopper behind the same proxy

    # Without a trusted proxy the header is the caller's own word: it buys no fresh limit.
    direct = app.test_client()
    assert {post(direct, f"192.0.2.{n}") for n in range(30)} == {400}
    assert post(direct, "192.0.2.200") == 429


def test_a_start_between_the_stores_callback_and_the_key_check_cannot_plant_its_secret(
    client, woo_shop, fake_store, run_jobs
):
    """Seen while driving a real store (issue 11): the keys the store's admin approved are
    proven in a job; a stranger's start in between must not decide which secret goes live."""
    user_id = authorize_query(start(client))["user_id"]
    assert client.post("/connect/woocommerce/callback", json=keys(user_id)).status_code == 200
    assert start(client, shared_secret=ATTACKER_SECRET).status_code == 200
    assert run_jobs("sync") >= 1

    shop = the_shop()
    assert shop.credentials["consumer_key"] == "ck_" + "a" * 40
    assert shop.credentials["shared_secret"] == NEW_SECRET
    assert ATTACKER_SECRET not in shop.credentials.values()
    assert {h["secret"] for h in fake_store.webhooks} == {NEW_SECRET}
    token = sign_token(
        ATTACKER_SECRET, {"store": STORE_URL, "user": 1, "exp": int(time.time()) + 60}
    )
    assert client.get(f"/embedded/woocommerce?wp_token={token}").status_code == 401
