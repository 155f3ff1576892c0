"""Decoding a page's JSON, and saying plainly what came instead."""

from __future__ import annotations

from typing import Any

import msgspec

from rasd.signals.status import ParseError

_decoder = msgspec.json.Decoder()


def decode(body: bytes) -> Any:
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise ParseError("HTML or XML where JSON was expected")
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ParseError(f"malformed JSON: {exc}") from None


def table(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected an object")
    return value


def items(value: Any) -> list[dict[str, Any]]:
    """A list of objects; None (incident.io's empty list) and stray entries give nothing."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
