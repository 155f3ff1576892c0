"""The tokens table: rows of bearer tokens, kept as hashes (`rasd.tokens` decides the rest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update

from rasd.store import schema
from rasd.store.base import Store


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: str
    hash: str
    scope: str
    label: str
    created_ms: int
    revoked: bool


class TokenRows:
    """Adding, listing, revoking and finding token rows; no secret ever reaches the table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, row: TokenRow) -> None:
        values = {
            "id": row.id,
            "hash": row.hash,
            "scope": row.scope,
            "label": row.label,
            "created_ms": row.created_ms,
            "revoked": row.revoked,
        }
        self.store.write(lambda conn: conn.execute(schema.tokens.insert(), values))

    def listing(self, *, include_revoked: bool) -> list[TokenRow]:
        """Oldest first."""
        t = schema.tokens.c
        query = select(schema.tokens).order_by(t.created_ms, t.id)
        if not include_revoked:
            query = query.where(t.revoked.is_(False))
        return [_row(r) for r in self.store.read(lambda conn: conn.execute(query).all())]

    def revoke(self, token_id: str) -> bool:
        """Whether there was such a token (revoking one twice is not an error)."""
        t = schema.tokens.c
        stmt = update(schema.tokens).where(t.id == token_id).values(revoked=True)
        return bool(self.store.write(lambda conn: conn.execute(stmt).rowcount))

    def by_hash(self, hashed: str) -> TokenRow | None:
        query = select(schema.tokens).where(schema.tokens.c.hash == hashed)
        found = self.store.read(lambda conn: conn.execute(query).first())
        return None if found is None else _row(found)


def _row(r: Row[Any]) -> TokenRow:
    return TokenRow(
        str(r.id), str(r.hash), str(r.scope), str(r.label), int(r.created_ms), bool(r.revoked)
    )
