"""Reading a request's body: a client that hangs up mid-body is refused, not a server error."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.types import Message

from rasd.errors import MalformedBody
from rasd.http.body import read_body


async def test_a_client_gone_before_its_body_ends_is_a_malformed_body() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"[1,", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    with pytest.raises(MalformedBody) as refused:
        await read_body(request, 1024)
    assert _first(refused.value.details)["received_bytes"] == 3


def _first(details: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    assert isinstance(details, list)
    return details[0]
