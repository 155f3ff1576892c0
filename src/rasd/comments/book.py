"""The comments of every service page: kept in the store, screened as they come, moderated.

A comment is shown at once unless it carries a link or repeats a text already sent (from the
same network, or by many networks when it is long enough not to be a plain "down here too");
those wait in the moderator's queue. Shown comments are newest first.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rasd.clock import Clock
from rasd.comments.screen import fingerprint, has_link
from rasd.errors import Conflict, NotFound, field_error
from rasd.signals.posts import Post
from rasd.store import Store
from rasd.store.comments import CommentRows

State = Literal["shown", "held", "hidden"]
STATES: tuple[State, ...] = ("shown", "held", "hidden")
# texts at least this long, sent this many times by other networks, are a campaign
_CAMPAIGN_LENGTH = 30
_CAMPAIGN_COPIES = 3


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    service: str
    text: str
    problem: str | None
    country: str | None
    lang: str | None
    state: State
    reason: str | None
    network: str
    created_ms: int
    decided_ms: int | None

    @property
    def created(self) -> datetime:
        return datetime.fromtimestamp(self.created_ms / 1000, UTC)

    def public(self) -> dict[str, Any]:
        """What anyone may read: neither the network nor why it was held."""
        return {
            "id": self.id,
            "service": self.service,
            "text": self.text,
            "problem": self.problem,
            "country": self.country,
            "created_at": self.created.isoformat().replace("+00:00", "Z"),
        }

    def moderated(self) -> dict[str, Any]:
        """What a moderator reads."""
        decided = self.decided_ms
        return {
            **self.public(),
            "lang": self.lang,
            "state": self.state,
            "reason": self.reason,
            "network": self.network,
            "decided_at": None
            if decided is None
            else datetime.fromtimestamp(decided / 1000, UTC).isoformat().replace("+00:00", "Z"),
        }

    def as_post(self) -> Post:
        """The comment as evidence: a post about its service, from its country."""
        return Post(
            id=f"comment:{self.id}",
            text=self.text,
            created=self.created,
            author=f"comment:{self.network}",
            country=self.country,
            service=self.service,
        )


def _comment(row: Any) -> Comment:
    return Comment(**{k: row[k] for k in Comment.__slots__})


class CommentBook:
    def __init__(self, store: Store, clock: Clock, *, repeat_hours: int = 24) -> None:
        self.store = store  # where a moderated comment's evidence is counted too
        self.rows = CommentRows(store)
        self.clock = clock
        self.repeat_ms = repeat_hours * 3_600_000

    def _now_ms(self) -> int:
        return int(self.clock.seconds() * 1000)

    def add(
        self,
        *,
        service: str,
        text: str,
        network: str,
        problem: str | None = None,
        country: str | None = None,
        lang: str | None = None,
    ) -> Comment:
        """Keeps a comment (its text already cleaned), shown or held."""
        now = self._now_ms()

        def screen(mine: int, everyone: int) -> dict[str, Any]:
            reason: str | None = "link" if has_link(text) else None
            if reason is None and mine:
                reason = "repeated"
            elif reason is None and len(text) >= _CAMPAIGN_LENGTH:
                # `everyone` takes in this network's copies too, and it has none here
                if everyone >= _CAMPAIGN_COPIES - 1:
                    reason = "repeated"
            comment = Comment(
                # time first, so ids sort as comments came
                id=f"{now:012x}{secrets.token_hex(4)}",
                service=service,
                text=text,
                problem=problem,
                country=country,
                lang=lang,
                state="shown" if reason is None else "held",
                reason=reason,
                network=network,
                created_ms=now,
                decided_ms=None,
            )
            return asdict(comment)

        row = self.rows.add_screened(
            fingerprint=fingerprint(text),
            network=network,
            since_ms=now - self.repeat_ms,
            screen=screen,
        )
        return _comment(row)

    def shown(self, service: str, *, limit: int = 20, offset: int = 0) -> tuple[list[Comment], int]:
        """A service's shown comments, newest first, and how many it has."""
        return self._page(service=service, state="shown", limit=limit, offset=offset)

    def queue(
        self,
        *,
        state: State = "held",
        service: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Comment], int]:
        """Comments in one state (the held ones waiting, by default), newest first."""
        return self._page(service=service, state=state, limit=limit, offset=offset)

    def _page(
        self, *, service: str | None, state: State, limit: int, offset: int
    ) -> tuple[list[Comment], int]:
        rows, total = self.rows.page(state=state, service=service, limit=limit, offset=offset)
        return [_comment(row) for row in rows], total

    def get(self, comment_id: str) -> Comment:
        row = self.rows.get(comment_id)
        if row is None:
            raise NotFound(
                f"no comment {comment_id!r}",
                details=[field_error("comment", "unknown", value=comment_id)],
            )
        return _comment(row)

    def decide(self, comment_id: str, state: State) -> tuple[Comment, bool]:
        """Shows or hides a comment; whether it is shown now and was not before (its
        evidence is counted then)."""
        if state not in ("shown", "hidden"):
            raise Conflict(
                "a moderator shows or hides a comment",
                details=[field_error("state", "not a decision", value=state)],
            )
        before = self.get(comment_id)
        now = self._now_ms()
        self.rows.set_state(comment_id, state, now)
        after = Comment(**{**asdict(before), "state": state, "decided_ms": now})
        return after, state == "shown" and before.state != "shown"

    def delete(self, comment_id: str) -> Comment:
        gone = self.get(comment_id)
        self.rows.delete(comment_id)
        return gone

    def prune(self, keep_days: int) -> int:
        """Forgets comments older than `keep_days`; how many went."""
        return self.rows.forget_older_than(self._now_ms() - keep_days * 86_400_000)
