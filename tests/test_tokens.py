from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from rasd.cli import app
from rasd.errors import InvalidInput, NotFound
from rasd.runtime import Runtime
from rasd.store import schema
from rasd.tokens import TokenStore


def test_a_token_is_kept_only_as_a_hash_and_holds_exactly_its_scope(runtime: Runtime) -> None:
    tokens: TokenStore = runtime.tokens
    token, info = tokens.create("ingest", "probe in Cairo")
    assert token.startswith(f"rasd_{info.id}_")
    kept = runtime.store.read(lambda c: c.execute(select(schema.tokens)).all())
    assert len(kept) == 1 and token not in {str(v) for v in kept[0]}
    assert tokens.check(token, "ingest")
    assert not tokens.check(token, "admin") and not tokens.check(token, "import")
    assert not tokens.check(token[:-1] + ("A" if token[-1] != "A" else "B"), "ingest")
    described = tokens.describe(token)
    assert described is not None and described.label == "probe in Cairo"


def test_revoked_tokens_stop_working_and_leave_the_list(runtime: Runtime) -> None:
    tokens: TokenStore = runtime.tokens
    token, info = tokens.create("admin")
    kept, _ = tokens.create("import")
    assert tokens.check(token, "admin")
    tokens.revoke(info.id)
    assert not tokens.check(token, "admin")
    assert tokens.check(kept, "import")
    assert [t.scope for t in tokens.listing()] == ["import"]
    assert {t.revoked for t in tokens.listing(include_revoked=True)} == {True, False}
    with pytest.raises(NotFound):
        tokens.revoke("0000000000000000")


def test_scopes_are_the_known_ones(runtime: Runtime) -> None:
    tokens: TokenStore = runtime.tokens
    with pytest.raises(InvalidInput):
        tokens.create("root")
    with pytest.raises(InvalidInput):
        tokens.create("statements:")
    assert tokens.create("statements:facebook")[1].scope == "statements:facebook"


def test_the_api_takes_store_tokens_by_scope(client: TestClient, runtime: Runtime) -> None:
    tokens: TokenStore = runtime.tokens
    ingest, info = tokens.create("ingest")
    imports, _ = tokens.create("import")
    admin, _ = tokens.create("admin")
    route = "/api/v1/subscriptions"
    assert client.get(route).status_code == 401
    assert client.get(route, headers={"Authorization": f"Bearer {ingest}"}).status_code == 403
    assert client.get(route, headers={"Authorization": f"Bearer {imports}"}).status_code == 403
    assert client.get(route, headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    tokens.revoke(info.id)
    assert runtime.auth.allows(admin, "ingest")  # admin may do everything
    assert not runtime.auth.allows(ingest, "ingest")


def test_rasd_tokens_create_list_revoke(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rasd.db'}"
    runner = CliRunner()
    made = runner.invoke(
        app, ["tokens", "create", "--scope", "admin", "--label", "ops", "--store", store]
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    token_id = token.split("_")[1]
    listed = runner.invoke(app, ["tokens", "list", "--store", store])
    assert token_id in listed.output and token not in listed.output
    assert runner.invoke(app, ["tokens", "revoke", token_id, "--store", store]).exit_code == 0
    assert token_id not in runner.invoke(app, ["tokens", "list", "--store", store]).output
    bad = runner.invoke(app, ["tokens", "create", "--scope", "root", "--store", store])
    assert bad.exit_code == 2
