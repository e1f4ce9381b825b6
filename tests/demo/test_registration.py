"""Everything demo plugs in only when the demo connector is enabled (off in production)."""

from __future__ import annotations

from app import create_app
from app.config import config_for_tests


def _storeflow_commands(app) -> set[str]:
    return set(app.cli.commands["storeflow"].commands)


def test_demo_commands_and_page_exist_only_with_the_demo_connector(app, backends):
    without = create_app(
        config_for_tests(backends.database_url, backends.redis_url, ENABLE_DEMO_CONNECTOR=False)
    )
    demo_commands = {
        "seed-demo",
        "demo-cart",
        "demo-cross-sell",
        "demo-winback",
        "demo-birthday",
        "demo-pay-order",
    }

    assert demo_commands <= _storeflow_commands(app)
    assert not demo_commands & _storeflow_commands(without)
    assert {"tick", "print-labels", "create-support-user"} <= _storeflow_commands(without)
    assert "demo" in app.blueprints and "demo" not in without.blueprints
    assert without.test_client().get("/demo/labels/any-token").status_code == 404
