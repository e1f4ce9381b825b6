"""Install by token exchange, end to end against a fake Shopify."""

from __future__ import annotations

import json

import pytest
import responses
import sqlalchemy as sa

from app.connectors.shopify import auth
from app.connectors.shopify.webhooks import API_TOPICS
from app.models import Shop, db
from tests.support.shopify import (
    DOMAIN,
    SCOPES,
    TOKEN_URL,
    FakeShopify,
    fresh_credentials,
    id_token,
)

TOKEN_ANSWER = {
    "access_token": "shpat_f3b5e8a1c2d4",
    "expires_in": 3600,
    "refresh_token": "shprt_9a8b7c6d5e4f",
    "refresh_token_expires_in": 7776000,
    "scope": SCOPES,
}


def _open_app(client, app, token: str | None = None):
    token = token or id_token(app)
    return client.get(
        f"/shopify?embedded=1&host=YWRtaW4uc2hvcGlmeS5jb20&id_token={token}&shop={DOMAIN}"
    )


def _shop() -> Shop:
    return db.session.scalars(sa.select(Shop).where(Shop.domain == DOMAIN)).one()


def test_install_exchanges_the_id_token_and_stores_tokens_encrypted(
    app, client, shopify_http, run_jobs
):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    shopify_http.add(responses.GET, fake.bulk_url, body=b"")
    token = id_token(app)

    response = _open_app(client, app, token)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/embedded/?")
    exchange = [c for c in shopify_http.calls if c.request.url == TOKEN_URL]
    assert len(exchange) == 1
    sent = json.loads(exchange[0].request.body)
    assert sent == {
        "client_id": app.config["SHOPIFY_API_KEY"],
        "client_secret": app.config["SHOPIFY_API_SECRET"],
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": 1,
    }
    shop = _shop()
    assert shop.status == "active"
    assert b"shpat_f3b5e8a1c2d4" not in shop.credentials_encrypted
    assert b"shprt_9a8b7c6d5e4f" not in shop.credentials_encrypted
    creds = shop.credentials
    assert (creds["access_token"], creds["refresh_token"]) == (
        "shpat_f3b5e8a1c2d4",
        "shprt_9a8b7c6d5e4f",
    )
    assert creds["expires"] and creds["refresh_token_expires"]

    run_jobs("sync")
    assert sorted(s["topic"] for s in fake.subscriptions) == sorted(
        t.replace("/", "_").upper() for t in API_TOPICS
    )
    assert all(s["uri"] == "http://storeflow.test/webhooks/shopify" for s in fake.subscriptions)
    assert "RunBulk" in fake.operations()
    db.session.expire_all()
    assert _shop().settings["sync"]["state"] == "done"


def test_reinstall_does_not_duplicate_webhook_subscriptions(app, client, shopify_http, run_jobs):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    shopify_http.add(responses.GET, fake.bulk_url, body=b"")
    _open_app(client, app)
    run_jobs("sync")
    first = list(fake.subscriptions)

    shop = _shop()
    shop.status = "uninstalled"
    shop.credentials = {}
    db.session.commit()
    response = _open_app(client, app)
    run_jobs("sync")

    assert response.status_code == 302
    assert fake.subscriptions == first
    assert fake.operations().count("CreateSubscription") == len(API_TOPICS)
    assert _shop().status == "active"


def test_bad_id_token_is_refused_and_nothing_is_installed(app, client, shopify_http):
    token = id_token(app).rsplit(".", 1)[0] + ".forged-signature"
    response = client.get(f"/shopify?id_token={token}&shop={DOMAIN}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("http://localhost/shopify/patch-id-token?")
    response = client.get("/embedded/shopify/status", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert db.session.scalars(sa.select(Shop)).all() == []


def test_embedded_page_shows_sync_progress_with_frame_ancestors(app, client, shopify_shop):
    shopify_shop.settings = {"sync": {"state": "importing", "rows_done": 1200, "rows_total": 4000}}
    db.session.commit()
    response = client.get(f"/embedded/shopify?id_token={id_token(app)}&shop={DOMAIN}")
    assert response.status_code == 200
    assert (
        f"frame-ancestors https://{DOMAIN} https://admin.shopify.com"
        in response.headers["Content-Security-Policy"]
    )
    page = response.get_data(as_text=True)
    assert "importing" in page and "1200 of 4000" in page


def _signed_query(app, **params: str) -> str:
    import hashlib
    import hmac
    from urllib.parse import urlencode

    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    digest = hmac.new(app.config["SHOPIFY_API_SECRET"].encode(), message.encode(), hashlib.sha256)
    return urlencode({**params, "hmac": digest.hexdigest()})


def test_authorization_code_install_checks_hmac_and_state_and_asks_for_expiring_tokens(
    app, client, shopify_http, run_jobs
):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    shopify_http.add(responses.GET, fake.bulk_url, body=b"")

    start = client.get(
        "/shopify/install?" + _signed_query(app, shop=DOMAIN, timestamp="1763632800")
    )
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(f"https://{DOMAIN}/admin/oauth/authorize?")
    state = dict(p.split("=", 1) for p in authorize.split("?", 1)[1].split("&"))["state"]

    callback = client.get(
        "/shopify/callback?"
        + _signed_query(
            app,
            code="0907a61c0c8d55e99db179b68161bc00",
            shop=DOMAIN,
            state=state,
            timestamp="1763632801",
        )
    )
    assert callback.status_code == 302
    assert callback.headers["Location"] == (
        f"https://admin.shopify.com/store/storeflow-test/apps/{app.config['SHOPIFY_API_KEY']}"
    )
    (exchange,) = [c for c in shopify_http.calls if c.request.url == TOKEN_URL]
    assert json.loads(exchange.request.body) == {
        "client_id": app.config["SHOPIFY_API_KEY"],
        "client_secret": app.config["SHOPIFY_API_SECRET"],
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "expiring": 1,
    }
    assert _shop().credentials["refresh_token"] == "shprt_9a8b7c6d5e4f"


def test_install_link_with_a_bad_hmac_or_foreign_domain_is_refused(app, client):
    query = _signed_query(app, shop=DOMAIN, timestamp="1763632800").replace("hmac=", "hmac=0")
    assert client.get("/shopify/install?" + query).status_code == 400
    foreign = _signed_query(app, shop="evil.example.com", timestamp="1763632800")
    assert client.get("/shopify/install?" + foreign).status_code == 400


def test_callback_with_another_browsers_state_is_refused(app, client, shopify_http):
    client.get("/shopify/install?" + _signed_query(app, shop=DOMAIN, timestamp="1763632800"))
    response = client.get(
        "/shopify/callback?"
        + _signed_query(app, code="abc", shop=DOMAIN, state="forged", timestamp="1763632801")
    )
    assert response.status_code == 403
    assert len(shopify_http.calls) == 0
    assert db.session.scalars(sa.select(Shop)).all() == []


def test_opening_the_app_of_an_installed_shop_makes_no_token_request(
    app, client, shopify_shop, shopify_http
):
    response = _open_app(client, app)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/embedded/?")
    assert len(shopify_http.calls) == 0


def test_token_missing_a_newly_requested_scope_is_exchanged_again(
    app, client, shopify_shop, shopify_http
):
    shopify_shop.credentials = fresh_credentials(scope="read_products,read_orders")
    db.session.commit()
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    _open_app(client, app)
    db.session.expire_all()
    assert _shop().credentials["access_token"] == "shpat_f3b5e8a1c2d4"


def test_background_status_request_with_a_session_token_returns_sync_progress(
    app, client, shopify_shop
):
    shopify_shop.settings = {"sync": {"state": "done", "rows_done": 40, "rows_total": 40}}
    db.session.commit()
    response = client.get(
        "/embedded/shopify/status", headers={"Authorization": f"Bearer {id_token(app)}"}
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "active",
        "sync": {"state": "done", "rows_done": 40, "rows_total": 40},
    }


def test_refused_token_exchange_installs_nothing_and_asks_for_a_fresh_id_token(
    app, client, shopify_http, redis_conn
):
    from rq import Queue

    shopify_http.add(
        responses.POST,
        TOKEN_URL,
        status=400,
        json={"error": "invalid_subject_token", "error_description": "Token has expired"},
    )
    response = _open_app(client, app)
    assert response.status_code == 302
    assert "/shopify/patch-id-token?" in response.headers["Location"]
    assert db.session.scalars(sa.select(Shop)).all() == []
    assert Queue("sync", connection=redis_conn).count == 0


def test_misconfigured_app_credentials_give_an_error_page_not_a_redirect_loop(
    app, client, shopify_http
):
    shopify_http.add(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})
    response = _open_app(client, app)
    assert response.status_code == 502
    assert db.session.scalars(sa.select(Shop)).all() == []


def test_opening_the_app_lands_signed_in_on_the_merchant_page(
    app, client, shopify_shop, shopify_http
):
    response = _open_app(client, app)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert f"Storeflow for {shopify_shop.name or shopify_shop.domain}" in html
    assert "Abandoned cart reminders" in html


def test_expired_refresh_token_is_replaced_by_a_token_exchange_when_the_merchant_opens_the_app(
    app, client, shopify_shop, shopify_http
):
    shopify_shop.credentials = fresh_credentials(
        expires="2026-01-01T00:00:00Z", refresh_token_expires="2026-03-01T00:00:00Z"
    )
    db.session.commit()
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    token = id_token(app)

    response = _open_app(client, app, token)

    assert response.status_code == 302 and response.location.startswith("/embedded/?")
    (exchange,) = [c for c in shopify_http.calls if c.request.url == TOKEN_URL]
    sent = json.loads(exchange.request.body)
    assert (sent["subject_token"], sent["expiring"]) == (token, 1)
    db.session.expire_all()
    creds = _shop().credentials
    assert (creds["access_token"], creds["refresh_token"]) == (
        "shpat_f3b5e8a1c2d4",
        "shprt_9a8b7c6d5e4f",
    )


def test_refresh_token_refused_by_shopify_is_recovered_when_the_merchant_opens_the_app(
    app, client, shopify_shop, shopify_http
):
    shopify_shop.credentials = fresh_credentials(expires="2026-01-01T00:00:00Z")
    db.session.commit()
    # Shopify's answer to a revoked or expired refresh token (OAuth's invalid_grant).
    shopify_http.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    with pytest.raises(auth.AuthError, match="token refresh failed"):
        auth.access_token(shopify_shop)
    db.session.expire_all()
    assert auth.tokens_lost(_shop().credentials)

    _open_app(client, app)

    grants = [json.loads(c.request.body)["grant_type"] for c in shopify_http.calls]
    assert grants == ["refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"]
    db.session.expire_all()
    creds = _shop().credentials
    assert creds["access_token"] == "shpat_f3b5e8a1c2d4" and not auth.tokens_lost(creds)
