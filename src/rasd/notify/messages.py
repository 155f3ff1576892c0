"""The words of an alert, in each language: a title and a few plain sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasd.locale import N_, NC_, Contextual, languages
from rasd.locale import words as words_of
from rasd.locale.terms import level_phrase
from rasd.notify.alerts import MessageKind as Kind
from rasd.notify.statements import StatementStatus as Status

# what the provider's statement says it is at
STATEMENT_WORDS: dict[str, Contextual] = {
    Status.INVESTIGATING: NC_("official status", "investigating"),
    Status.IDENTIFIED: NC_("official status", "cause identified"),
    Status.MONITORING: NC_("official status", "monitoring a fix"),
    Status.RESOLVED: NC_("official status", "resolved"),
}
_TITLES = {
    Kind.OPENED: N_("{name}: {level}"),
    Kind.ESCALATED: N_("{name}: now {level}"),
    Kind.REOPENED: N_("{name}: problems again"),
    Kind.RESOLVED: N_("{name}: back to normal"),
    Kind.STATEMENT: N_("{name}: official update, {status}"),
}
_BODIES = {
    Kind.OPENED: N_("Rasd sees {level} with {name} since {start} UTC."),
    Kind.ESCALATED: N_("The problems with {name} have grown since {start} UTC: {level}."),
    Kind.REOPENED: N_("{name} was recovering, but is failing again (since {start} UTC)."),
    Kind.RESOLVED: N_("{name} is back to normal. The problems lasted from {start} to {end} UTC."),
    Kind.STATEMENT: N_("{message}"),
}
# the kinds that say where the reports come from
_PLACED = (Kind.OPENED, Kind.ESCALATED, Kind.REOPENED)
_WHERE = N_(" Most reports come from: {places}.")
_UNSUBSCRIBE = N_("To stop these alerts, open this link and press its button: {url}")
_DETAILS = N_("Details: {url}")


def _time(value: Any) -> str:
    if not value:
        return "?"
    return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")


def words(
    kind: Kind,
    names: dict[str, str],
    incident: dict[str, Any] | None,
    level: int,
    statement: dict[str, Any] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(title, body), each by language."""
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in languages():
        _ = words_of(lang)
        fields = {
            "name": names.get(lang) or names["en"],
            "level": level_phrase(_, max(level, 1)),
            "start": _time((incident or {}).get("start")),
            "end": _time((incident or {}).get("end")),
            "status": "",
            "message": "",
        }
        if statement is not None:
            fields["status"] = _(STATEMENT_WORDS[statement["status"]])
            message = statement["message"]
            fields["message"] = message.get(lang) or message.get("en") or ""
        titles[lang] = _(_TITLES[kind], **fields)
        body = _(_BODIES[kind], **fields)
        places = [
            r["region"] for r in (incident or {}).get("regions", []) if "/" not in r["region"]
        ]
        if places and kind in _PLACED:
            body += _(_WHERE, places=", ".join(places[:5]))
        bodies[lang] = body
    return titles, bodies


def footer(lang: str, details_url: str, unsubscribe_url: str) -> str:
    return "\n\n" + "\n".join(
        [
            words_of(lang)(_DETAILS, url=details_url),
            words_of(lang)(_UNSUBSCRIBE, url=unsubscribe_url),
        ]
    )


_SCOPES = {
    "service": N_("{name}"),
    "owner": N_("the services of {name}"),
    "country": N_("the services used in {name}"),
    "all": N_("every service Rasd watches"),
}
_CONFIRM_TITLE = N_("Rasd: confirm alerts about {scope}")
_CONFIRM_BODY = N_(
    "Someone asked Rasd to send alerts about {scope} here, from {level} up. Nothing "
    "will be sent until you open this link before {until} UTC and confirm there:\n{url}\n"
    "If it was not you, ignore this message: it is the only one."
)


def confirmation_words(
    scope_kind: str, names: dict[str, str], level: int, until: datetime, url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(title, body) of the one message that asks the owner of a channel to confirm it."""
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in languages():
        _ = words_of(lang)
        scope = _(_SCOPES[scope_kind], name=names.get(lang) or names.get("en", ""))
        titles[lang] = _(_CONFIRM_TITLE, scope=scope)
        bodies[lang] = _(
            _CONFIRM_BODY,
            scope=scope,
            level=level_phrase(_, level),
            until=until.strftime("%Y-%m-%d %H:%M"),
            url=url,
        )
    return titles, bodies
