"""What the domain says, as a code and its arguments: never the words themselves.

Detection and correlation hand out a `Phrase` (`title.outage` with the owner's and the
services' ids, `log.joined_region` with a country code, `hint.dns_owner` with counts); the
events and incidents keep it so; `rasd.locale.phrases` puts it into the reader's language at
the edge (pages, the API, live updates, alerts), so a language added as a catalog says every
stored event in it too. An argument is an id, a code, a number, a literal (a prefix, an AS
number, a vantage point's name), a tuple of those, or a phrase inside the phrase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

# words already said, by language: what events kept before they kept codes (read back from
# old rows and old engine checkpoints, and shown as they are)
Said: TypeAlias = Mapping[str, str]
Arg: TypeAlias = "str | int | float | bool | None | tuple[Arg, ...] | Phrase | Said"


@dataclass(frozen=True, slots=True)
class Phrase:
    code: str
    args: Mapping[str, Arg] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "args": {k: _out(v) for k, v in self.args.items()}}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Phrase:
        args = data.get("args") or {}
        return Phrase(str(data["code"]), {str(k): _in(v) for k, v in args.items()})


def is_phrase(value: object) -> bool:
    """Whether a stored value is a phrase (`{"code", "args"}`), not words already said."""
    return isinstance(value, dict | Mapping) and "code" in value and "args" in value


def _out(value: Arg) -> Any:
    if isinstance(value, Phrase):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_out(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _in(value: Any) -> Arg:
    if isinstance(value, str):
        return value
    if is_phrase(value):
        return Phrase.from_dict(value)
    if isinstance(value, list | tuple):
        return tuple(_in(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
