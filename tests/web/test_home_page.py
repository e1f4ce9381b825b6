"""The landing page lists tenants' shops only on a development machine or a demo."""

from __future__ import annotations

from app import create_app
from app.config import config_for_tests


def test_production_home_page_lists_no_shops(backends, shop):
    production = create_app(
        config_for_tests(
            backends.database_url,
            backends.redis_url,
            STOREFLOW_ENV="production",
            ENABLE_DEMO_CONNECTOR=False,
        )
    )
    response = production.test_client().get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'database: <strong class="ok">ok' in page  # the health part stays
    assert shop.domain not in page and (shop.name or shop.domain) not in page
    assert "Shops" not in page and shop.platform not in page


def test_production_with_the_demo_switched_on_still_lists_no_shops(backends, shop):
    production = create_app(
        config_for_tests(
            backends.database_url,
            backends.redis_url,
            STOREFLOW_ENV="production",
            ENABLE_DEMO_CONNECTOR=True,
        )
    )
    assert shop.domain not in production.test_client().get("/").get_data(as_text=True)


def test_demo_home_page_lists_the_shops(client, shop):
    page = client.get("/").get_data(as_text=True)
    assert shop.domain in page
