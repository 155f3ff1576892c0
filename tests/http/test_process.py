"""The process an app serves, as every route reads it."""

from __future__ import annotations

import pytest
from conftest import IMPORT_TOKEN
from fastapi import FastAPI
from starlette.requests import Request

from rasd.errors import Forbidden, Unauthorized
from rasd.http import process
from rasd.runtime import Runtime


def _request(app: FastAPI, authorization: str | None = None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "app": app, "headers": headers, "method": "GET"})


def test_the_routes_read_the_process_the_shell_attached(runtime: Runtime) -> None:
    app = FastAPI()
    process.attach(app, runtime)
    assert process.runtime_of(_request(app)) is runtime


def test_require_asks_the_process_for_the_scope(runtime: Runtime) -> None:
    app = FastAPI()
    process.attach(app, runtime)
    with pytest.raises(Unauthorized):
        process.require(_request(app), "admin")
    with pytest.raises(Forbidden):
        process.require(_request(app, "Bearer not-a-token"), "admin")
    assert process.require(_request(app, f"Bearer {IMPORT_TOKEN}"), "import") == IMPORT_TOKEN
