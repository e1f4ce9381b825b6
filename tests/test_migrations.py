"""The migrations, run for real on a scratch PostgreSQL database."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.models import db


@pytest.fixture()
def scratch_pg(backends):
    if not backends.is_postgres:
        pytest.skip("this test checks the migrations on PostgreSQL")
    base, _, name = backends.database_url.rpartition("/")
    scratch = f"{name}_migrations"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    yield f"{base}/{scratch}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _tables(app) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_migration_upgrades_and_downgrades_cleanly_on_postgresql(scratch_pg, backends):
    app = create_app(config_for_tests(scratch_pg, backends.redis_url))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        assert _tables(app) == set(db.metadata.tables)
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert _tables(app) == set()
        upgrade(directory=MIGRATIONS_DIR)
        assert _tables(app) == set(db.metadata.tables)
        db.session.remove()
        db.engine.dispose()


def test_models_and_migrations_agree(app):
    """A model change without a migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
