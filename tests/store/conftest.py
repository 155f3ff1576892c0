from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from rasd.store import Store, open_store, schema
from store.pg import database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the session, emptied before each test: creating one costs a second."""
    with database() as url:
        s = open_store(url)
        s.migrate()
        s.close()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "sqlite":
        s = open_store("sqlite:///:memory:")
    else:
        s = open_store(request.getfixturevalue("postgres_url"))
        tables = ", ".join(t.name for t in schema.metadata.sorted_tables)
        s.write(lambda conn: conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY")))
    s.migrate()
    yield s
    s.close()
