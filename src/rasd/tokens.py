"""Bearer tokens made with `rasd tokens`: created once, stored only as hashes, scoped, revocable.

A token reads `rasd_<id>_<secret>`. Only the SHA-256 of the whole token is kept, so a copy of
the database gives nobody a working token; the id in clear lets an admin name the token to
revoke without ever seeing it again. Scopes are "import", "ingest", "admin", and
"statements:<service>" for a service's operator who may post that service's official updates.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from rasd.clock import Clock
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.store.base import Store
from rasd.store.tokens import TokenRow, TokenRows

SCOPES = ("import", "ingest", "admin")
SERVICE_SCOPE_PREFIX = "statements:"
_TOKEN = re.compile(r"^rasd_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
# a revoked token stops working within this long in every process that checked it lately
_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class TokenInfo:
    id: str
    scope: str
    label: str
    created: datetime
    revoked: bool


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_scope(scope: str) -> str:
    if scope in SCOPES:
        return scope
    service = scope.removeprefix(SERVICE_SCOPE_PREFIX)
    if scope.startswith(SERVICE_SCOPE_PREFIX) and re.fullmatch(
        r"[a-z0-9][a-z0-9_.-]{0,63}", service
    ):
        return scope
    raise InvalidInput(
        f"scope is one of {', '.join(SCOPES)} or statements:<service>",
        details=[field_error("scope", "unknown scope", value=scope)],
    )


class TokenStore:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.rows = TokenRows(store)
        self.clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def create(self, scope: str, label: str = "") -> tuple[str, TokenInfo]:
        """A new token, returned once in clear, and what is kept about it."""
        scope = check_scope(scope)
        token_id = secrets.token_hex(8)
        token = f"rasd_{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock.now()
        created_ms = int(now.timestamp() * 1000)
        self.rows.add(TokenRow(token_id, digest(token), scope, label[:200], created_ms, False))
        return token, TokenInfo(token_id, scope, label[:200], now, False)

    def listing(self, *, include_revoked: bool = False) -> list[TokenInfo]:
        return [_info(r) for r in self.rows.listing(include_revoked=include_revoked)]

    def revoke(self, token_id: str) -> None:
        if not self.rows.revoke(token_id):
            raise NotFound(
                f"no token {token_id!r}", details=[field_error("id", "unknown", value=token_id)]
            )
        with self._lock:
            self._cache.clear()

    def scope_of(self, token: str) -> str | None:
        """The scope of a live token, or None."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        hashed = digest(token)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(hashed)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        row = self.rows.by_hash(hashed)
        scope = None
        # the id in the token must be the row's: a hash collision alone opens nothing
        if row is not None and not row.revoked and row.id == match.group(1):
            scope = row.scope
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[hashed] = (now, scope)
        return scope

    def describe(self, token: str) -> TokenInfo | None:
        """What is kept about a live token: who made it for what."""
        if _TOKEN.match(token) is None:
            return None
        row = self.rows.by_hash(digest(token))
        if row is None or row.revoked:
            return None
        return _info(row)

    def check(self, token: str, scope: str) -> bool:
        """The Authorizer's `extra` check: whether this token holds exactly this scope."""
        return self.scope_of(token) == scope


def _info(row: TokenRow) -> TokenInfo:
    created = datetime.fromtimestamp(row.created_ms / 1000, UTC)
    return TokenInfo(row.id, row.scope, row.label, created, row.revoked)
