"""Titles and change-log lines of events, in each published language (rasd.locale).

"Meta: Facebook, Instagram, WhatsApp, Messenger" / "ميتا: فيسبوك، إنستغرام، واتساب، ماسنجر".
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from functools import cache

import pycountry

from rasd.correlate.affinity import CatalogInfo, lookup
from rasd.ingest.places import ARABIC_COUNTRY_GAPS
from rasd.locale import N_, PUBLISHED, commas, words

LANGS = PUBLISHED


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
    _ = words(lang)
    shown = list(names[:limit]) if limit > 0 else list(names)
    text = commas(_, shown)
    rest = len(names) - len(shown)
    if rest > 0:
        text = _.plural("{names} and {n} more", "{names} and {n} more", rest, names=text)
    return text


def outage_title(owner: str | None, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    return words(lang)(N_("{owner}: {names}"), owner=owner, names=listed) if owner else listed


def regional_title(country: str, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    return words(lang)(N_("Network outage in {country}: {names}"), country=country, names=listed)


def network_title(network: str, names: Sequence[str], lang: str, limit: int) -> str:
    listed = join_names(names, lang, limit)
    return words(lang)(N_("Network outage at {network}: {names}"), network=network, names=listed)


_LOG = {
    "network": N_("The rise comes from one network: {what}"),
    "opened": N_("Outage seen: {names}"),
    "regional": N_("Many unrelated services fail in {country} at once: a regional network outage"),
    "joined_owner": N_("{names} joined: same owner"),
    "joined_infrastructure": N_("{names} joined: shared infrastructure ({what})"),
    "joined_region": N_("{names} joined: failing in {country} too"),
    "spillover": N_(
        "{names}: reports rose later and less, with no failures of its own: spill-over"
    ),
    "promoted": N_("{names}: failing on its own, no longer counted as spill-over"),
    "absorbed": N_("{names}: part of the regional outage in {country}"),
    "merged": N_("Merged into the regional outage in {country}"),
    "recovering": N_("Services are coming back"),
    "resolved": N_("Resolved"),
    "reopened": N_("{names} failing again"),
    "cause": N_("Likely cause: {what}"),
    "cause_again": N_("Seen again: {what}"),
    "cause_ended": N_("No longer seen: {what}"),
}


def log_text(kind: str, lang: str, **values: str) -> str:
    return words(lang)(_LOG[kind], **values)
