"""The words of an alert, in English and Arabic: a title and a few plain sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasd.locale import words as words_of
from rasd.locale.terms import level_phrase

STATEMENT_WORDS = {
    "investigating": {"en": "investigating", "ar": "قيد التحقيق"},
    "identified": {"en": "cause identified", "ar": "تم تحديد السبب"},
    "monitoring": {"en": "monitoring a fix", "ar": "مراقبة الإصلاح"},
    "resolved": {"en": "resolved", "ar": "تم الحل"},
}
_TITLES = {
    "opened": {"en": "{name}: {level}", "ar": "{name}: {level}"},
    "escalated": {"en": "{name}: now {level}", "ar": "{name}: تفاقمت المشكلة، {level}"},
    "reopened": {"en": "{name}: problems again", "ar": "{name}: عادت المشكلات"},
    "resolved": {"en": "{name}: back to normal", "ar": "{name}: عادت الخدمة إلى طبيعتها"},
    "statement": {"en": "{name}: official update, {status}", "ar": "{name}: بيان رسمي، {status}"},
}
_BODIES = {
    "opened": {
        "en": "Rasd sees {level} with {name} since {start} UTC.",
        "ar": "يرصد «رصد» {level} في {name} منذ {start} بتوقيت UTC.",
    },
    "escalated": {
        "en": "The problems with {name} have grown since {start} UTC: {level}.",
        "ar": "ازدادت المشكلات في {name} منذ {start} بتوقيت UTC: {level}.",
    },
    "reopened": {
        "en": "{name} was recovering, but is failing again (since {start} UTC).",
        "ar": "كانت {name} تتعافى لكنها تتعطل من جديد (منذ {start} بتوقيت UTC).",
    },
    "resolved": {
        "en": "{name} is back to normal. The problems lasted from {start} to {end} UTC.",
        "ar": "عادت {name} إلى طبيعتها. استمرت المشكلات من {start} إلى {end} بتوقيت UTC.",
    },
    "statement": {"en": "{message}", "ar": "{message}"},
}
_WHERE = {"en": " Most reports come from: {places}.", "ar": " معظم البلاغات من: {places}."}
_UNSUBSCRIBE = {
    "en": "To stop these alerts, open this link and press its button: {url}",
    "ar": "لإيقاف هذه التنبيهات افتح هذا الرابط واضغط الزر فيه: {url}",
}
_DETAILS = {"en": "Details: {url}", "ar": "التفاصيل: {url}"}


def _time(value: Any) -> str:
    if not value:
        return "?"
    return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")


def words(
    kind: str,
    names: dict[str, str],
    incident: dict[str, Any] | None,
    level: int,
    statement: dict[str, Any] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(title, body), each by language."""
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in ("en", "ar"):
        fields = {
            "name": names.get(lang) or names["en"],
            "level": level_phrase(words_of(lang), max(level, 1)),
            "start": _time((incident or {}).get("start")),
            "end": _time((incident or {}).get("end")),
            "status": "",
            "message": "",
        }
        if statement is not None:
            fields["status"] = STATEMENT_WORDS[statement["status"]][lang]
            message = statement["message"]
            fields["message"] = message.get(lang) or message.get("en") or ""
        titles[lang] = _TITLES[kind][lang].format(**fields)
        body = _BODIES[kind][lang].format(**fields)
        places = [
            r["region"] for r in (incident or {}).get("regions", []) if "/" not in r["region"]
        ]
        if places and kind in ("opened", "escalated", "reopened"):
            body += _WHERE[lang].format(places=", ".join(places[:5]))
        bodies[lang] = body
    return titles, bodies


def footer(lang: str, details_url: str, unsubscribe_url: str) -> str:
    return "\n\n" + "\n".join(
        [_DETAILS[lang].format(url=details_url), _UNSUBSCRIBE[lang].format(url=unsubscribe_url)]
    )


_SCOPES = {
    "service": {"en": "{name}", "ar": "{name}"},
    "owner": {"en": "the services of {name}", "ar": "خدمات {name}"},
    "country": {"en": "the services used in {name}", "ar": "الخدمات المستخدمة في {name}"},
    "all": {"en": "every service Rasd watches", "ar": "كل الخدمات التي يرصدها «رصد»"},
}
_CONFIRM_TITLE = {
    "en": "Rasd: confirm alerts about {scope}",
    "ar": "«رصد»: أكّد الاشتراك في تنبيهات {scope}",
}
_CONFIRM_BODY = {
    "en": "Someone asked Rasd to send alerts about {scope} here, from {level} up. Nothing "
    "will be sent until you open this link before {until} UTC and confirm there:\n{url}\n"
    "If it was not you, ignore this message: it is the only one.",
    "ar": "طلب أحدهم أن يرسل «رصد» إلى هنا تنبيهات عن {scope}، ابتداءً من مستوى {level}. لن "
    "يُرسل شيء حتى تفتح هذا الرابط قبل {until} بتوقيت UTC وتؤكد فيه:\n{url}\n"
    "إن لم تكن أنت صاحب الطلب فتجاهل هذه الرسالة: لن تصلك غيرها.",
}


def confirmation_words(
    scope_kind: str, names: dict[str, str], level: int, until: datetime, url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(title, body) of the one message that asks the owner of a channel to confirm it."""
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in ("en", "ar"):
        scope = _SCOPES[scope_kind][lang].format(name=names.get(lang) or names.get("en", ""))
        titles[lang] = _CONFIRM_TITLE[lang].format(scope=scope)
        bodies[lang] = _CONFIRM_BODY[lang].format(
            scope=scope,
            level=level_phrase(words_of(lang), level),
            until=until.strftime("%Y-%m-%d %H:%M"),
            url=url,
        )
    return titles, bodies
