"""A small real server for the agent tests: serves the check list and collects pushed batches
on the wire format the Rasd server mounts, and can be stopped and started on the same port."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
import warnings
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rasd.errors import RasdError
from rasd.signals.probes import (
    ProbeBatch,
    ProbeCheck,
    ProbeCheckList,
    ProbeResult,
    decode_batch,
    encode,
)


class LocalReceiver:
    def __init__(self, checks: list[ProbeCheck], token: str = "secret-token") -> None:
        self.checks = checks
        self.token = token
        self.batches: list[ProbeBatch] = []
        self.repeats = 0
        self.refused = 0
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def results(self) -> list[ProbeResult]:
        with self._lock:
            return [r for batch in self.batches for r in batch.results]

    def dropped(self) -> int:
        with self._lock:
            return sum(batch.dropped for batch in self.batches)

    def wait_for(
        self, condition: Callable[[list[ProbeResult]], bool], timeout: float = 60.0
    ) -> None:
        # a bound for giving up, not a measure: an agent took 15 s to start on a loaded machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self.results):
                return
            time.sleep(0.05)
        raise AssertionError(f"condition not met; {len(self.results)} results received")

    # --- the two endpoints ---

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _checks(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"error": {"code": "unauthorized"}}, status_code=401)
        return Response(encode(ProbeCheckList(checks=self.checks)), media_type="application/json")

    async def _batch(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"error": {"code": "unauthorized"}}, status_code=401)
        try:
            batch = decode_batch(await request.body())
        except RasdError as exc:
            with self._lock:
                self.refused += 1
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        with self._lock:
            if any(b.id == batch.id for b in self.batches):
                self.repeats += 1
            else:
                self.batches.append(batch)
        return JSONResponse({"accepted": len(batch.results)}, status_code=202)

    # --- life ---

    def start(self) -> LocalReceiver:
        app = Starlette(
            routes=[
                Route("/api/v1/probes/checks", self._checks, methods=["GET"]),
                Route("/api/v1/probes/batch", self._batch, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the receiver did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            # the thread's loop is closed: transports it left behind are collected now, with
            # their warning, rather than in whichever test happens to run next
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
        self._server = None
        self._thread = None
