"""The app's exception handlers: every error, ours or the framework's, through one renderer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rasd.errors import RasdError
from rasd.http.errors import HTTP_CODES, allowed_methods, error_body, internal, render
from rasd.http.responses import JSON


def install(app: FastAPI) -> None:
    @app.exception_handler(RasdError)
    async def _rasd(_request: Request, exc: RasdError) -> JSON:
        return render(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSON:
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or None,
                "location": err.get("loc", ("",))[0],
                "reason": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return JSON(
            error_body("invalid_input", "the request has invalid parameters", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSON:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request.app.routes, request)}
        return JSON(error_body(code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSON:
        return internal(exc)
