from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest

from bus.natsd import ensure_machine_server


@pytest.fixture
async def stream_name() -> AsyncIterator[str]:
    """A stream of this test's own, deleted afterwards with its key-value bucket."""
    url = ensure_machine_server()
    name = f"RASDT{uuid.uuid4().hex[:10].upper()}"
    yield name
    nc = await nats.connect(url)
    js = nc.jetstream()
    for stream in (name, f"KV_{name}_leases"):
        try:
            await js.delete_stream(stream)
        except nats.js.errors.NotFoundError:
            pass
    await nc.close()
