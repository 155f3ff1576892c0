"""Assertions shared by many tests."""

from __future__ import annotations

from typing import Any


def assert_error_shape(body: Any) -> dict[str, Any]:
    """Every error is `{"error": {"code", "message", "details"}}` and nothing else."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list | dict)
    return dict(error)
