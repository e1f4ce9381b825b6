"""Settings fail at start-up, naming the variable, when a value is wrong."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load


def test_bad_boolean_fails_naming_the_variable():
    with pytest.raises(ConfigError, match="STOREFLOW_ENABLE_DEMO_CONNECTOR"):
        load({"STOREFLOW_ENABLE_DEMO_CONNECTOR": "maybe"})


def test_bad_database_url_fails_naming_the_variable():
    with pytest.raises(ConfigError, match="STOREFLOW_DATABASE_URL"):
        load({"STOREFLOW_DATABASE_URL": "mysql://db/x"})


def test_production_has_no_default_secrets():
    with pytest.raises(ConfigError, match="STOREFLOW_SECRET_KEY"):
        load({"STOREFLOW_ENV": "production"})


def test_development_defaults_use_an_instance_sqlite_file():
    config = load({}, instance_path="/srv/instance")
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/storeflow.db"
    assert config["ENABLE_DEMO_CONNECTOR"] is True


def test_postgresql_url_uses_the_psycopg3_driver():
    config = load({"STOREFLOW_DATABASE_URL": "postgresql://u@h:5432/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/db"


def test_production_needs_an_https_public_url():
    from tests.conftest import production_env

    env = production_env(missing="")
    del env["STOREFLOW_PUBLIC_URL"]  # the development default is plain http
    with pytest.raises(ConfigError, match="STOREFLOW_PUBLIC_URL"):
        load(env)
    assert load({**env, "STOREFLOW_PUBLIC_URL": "https://storeflow.example"})["PUBLIC_URL"]


def test_production_needs_the_real_shopify_client_id():
    from tests.conftest import production_env

    with pytest.raises(ConfigError, match="STOREFLOW_SHOPIFY_API_KEY"):
        load(production_env(missing="SHOPIFY_API_KEY"))
