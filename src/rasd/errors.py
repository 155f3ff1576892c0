"""Errors that carry their HTTP status and structured fields; rendered in one JSON shape."""

from __future__ import annotations

from typing import Any


class RasdError(Exception):
    """Base of every error a user can see: `{"error": {"code", "message", "details"}}`."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[dict[str, Any]] | dict[str, Any] = details if details is not None else []
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(RasdError):
    status = 422
    code = "invalid_input"


class MalformedBody(RasdError):
    status = 400
    code = "malformed_body"


class BodyTooLarge(RasdError):
    """Answered with the connection closed: what is left of the body is never read."""

    status = 413
    code = "body_too_large"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"Connection": "close"})


class Unauthorized(RasdError):
    status = 401
    code = "unauthorized"


class Forbidden(RasdError):
    status = 403
    code = "forbidden"


class NotFound(RasdError):
    status = 404
    code = "not_found"


class Conflict(RasdError):
    status = 409
    code = "conflict"


class RateLimited(RasdError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class Unavailable(RasdError):
    """The log is full or the store is down: the client should come back, nothing was taken."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def field_error(field: str, reason: str, **extra: Any) -> dict[str, Any]:
    """One entry of `details`: which field, why, and anything else that helps (index, value)."""
    entry: dict[str, Any] = {"field": field, "reason": reason}
    entry.update(extra)
    return entry
