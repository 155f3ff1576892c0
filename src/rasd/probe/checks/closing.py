"""Closing a probe's connection at once, socket included, before the check returns.

`StreamWriter.close()` alone only starts closing: the socket goes on a later turn of the loop
and, over TLS, after the peer answers the close. A check that returns first can leave its loop
with the socket still open (a probe agent's loop stops, a test ends), and the transport is
then closed by the garbage collector with a warning. A probe has read all it wants by then,
so the connection is dropped without the TLS goodbye, and the check waits for it to be gone.
"""

from __future__ import annotations

import asyncio

# a dropped connection is gone on the loop's next turn; the bound only guards against a loop
# that never gets there
_GONE_WITHIN_S = 1.0


async def hang_up(writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()
    try:
        async with asyncio.timeout(_GONE_WITHIN_S):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        pass  # the peer's own errors, or a loop too busy: the socket is closed either way
