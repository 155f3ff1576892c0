"""Titles and change-log lines of events, in English and Arabic.

"Meta: Facebook, Instagram, WhatsApp, Messenger" / "ميتا: فيسبوك، إنستغرام، واتساب، ماسنجر".
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from functools import cache

import pycountry

from rasd.correlate.affinity import CatalogInfo, lookup
from rasd.ingest.places import ARABIC_COUNTRY_GAPS

LANGS = ("en", "ar")
_SEPARATOR = {"en": ", ", "ar": "، "}


def service_name(catalog: CatalogInfo, service_id: str, lang: str) -> str:
    service = lookup(catalog, service_id)
    if service is None:
        return service_id
    return service.name.get(lang) or service.name.get("en") or service_id


def owner_name(catalog: CatalogInfo, owner_id: str, lang: str) -> str:
    owner = catalog.owners.get(owner_id)
    if owner is None:
        return owner_id
    return owner.name.get(lang) or owner.name.get("en") or owner_id


@cache
def _arabic_countries() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
    except OSError:  # a pycountry without its locales: names stay English
        return gettext.NullTranslations()


@cache
def country_name(code: str, lang: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang == "ar":
        return ARABIC_COUNTRY_GAPS.get(code) or _arabic_countries().gettext(country.name)
    return str(getattr(country, "common_name", country.name))


def join_names(names: Sequence[str], lang: str, limit: int) -> str:
    """Names joined as a list; beyond `limit`, "and N more"."""
    shown = list(names[:limit]) if limit > 0 else list(names)
    text = _SEPARATOR[lang].join(shown)
    rest = len(names) - len(shown)
    if rest > 0:
        text += f" و{rest} غيرها" if lang == "ar" else f" and {rest} more"
    return text


def outage_title(owner: str | None, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    return f"{owner}: {listed}" if owner else listed


def regional_title(country: str, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    if lang == "ar":
        return f"انقطاع الشبكة في {country}: {listed}"
    return f"Network outage in {country}: {listed}"


def network_title(network: str, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    if lang == "ar":
        return f"انقطاع شبكة {network}: {listed}"
    return f"Network outage at {network}: {listed}"


_LOG = {
    "network": {
        "en": "The rise comes from one network: {what}",
        "ar": "الارتفاع من شبكة واحدة: {what}",
    },
    "opened": {
        "en": "Outage seen: {names}",
        "ar": "رُصد انقطاع: {names}",
    },
    "regional": {
        "en": "Many unrelated services fail in {country} at once: a regional network outage",
        "ar": "خدمات كثيرة غير مترابطة تتعطل في {country} معًا: انقطاع في شبكة المنطقة",
    },
    "joined_owner": {
        "en": "{names} joined: same owner",
        "ar": "انضمت {names}: المالك نفسه",
    },
    "joined_infrastructure": {
        "en": "{names} joined: shared infrastructure ({what})",
        "ar": "انضمت {names}: بنية تحتية مشتركة ({what})",
    },
    "joined_region": {
        "en": "{names} joined: failing in {country} too",
        "ar": "انضمت {names}: تتعطل في {country} أيضًا",
    },
    "spillover": {
        "en": "{names}: reports rose later and less, with no failures of its own: spill-over",
        "ar": "{names}: ارتفعت البلاغات لاحقًا وبقدر أقل دون أعطال خاصة بها: أثر جانبي",
    },
    "promoted": {
        "en": "{names}: failing on its own, no longer counted as spill-over",
        "ar": "{names}: تتعطل بذاتها، لم تعد تُعد أثرًا جانبيًا",
    },
    "absorbed": {
        "en": "{names}: part of the regional outage in {country}",
        "ar": "{names}: جزء من انقطاع الشبكة في {country}",
    },
    "merged": {
        "en": "Merged into the regional outage in {country}",
        "ar": "دُمج في انقطاع الشبكة في {country}",
    },
    "recovering": {
        "en": "Services are coming back",
        "ar": "الخدمات تعود تدريجيًا",
    },
    "resolved": {
        "en": "Resolved",
        "ar": "انتهى الانقطاع",
    },
    "reopened": {
        "en": "{names} failing again",
        "ar": "{names} تتعطل من جديد",
    },
    "cause": {
        "en": "Likely cause: {what}",
        "ar": "السبب المرجّح: {what}",
    },
    "cause_again": {
        "en": "Seen again: {what}",
        "ar": "ظهر من جديد: {what}",
    },
    "cause_ended": {
        "en": "No longer seen: {what}",
        "ar": "لم يعد ظاهرًا: {what}",
    },
}


def log_text(kind: str, lang: str, **values: str) -> str:
    return _LOG[kind][lang].format(**values)
