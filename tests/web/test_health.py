"""/healthz says which part is down."""

from __future__ import annotations

from redis import Redis


def test_healthz_is_200_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"healthy": True, "database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(app, client):
    working = app.extensions["storeflow_redis"] = app.extensions.get("storeflow_redis")
    app.extensions["storeflow_redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["storeflow_redis"] = working
    body = response.get_json()
    assert response.status_code == 503
    assert body["database"] == "ok"
    assert body["redis"].startswith("down")


def test_home_page_lists_the_shops_and_health(client, shop):
    page = client.get("/").get_data(as_text=True)
    assert shop.domain in page
    assert 'redis: <strong class="ok">ok' in page
