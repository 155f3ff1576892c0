"""The words for the domain's phrases (`rasd.phrase`): event titles, the lines of an event's
timeline, cause hints and the sentence that sums an event's causes up.

Correlation hands out codes with ids and numbers; this says them in one language, with the
names of services, owners and countries in that language (`Names`). Every message is marked
here for `pybabel extract`, so a catalog is all a language needs.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

import pycountry

from rasd.errors import RasdError
from rasd.ingest.places import ARABIC_COUNTRY_GAPS
from rasd.locale import N_, NC_, PUBLISHED, Contextual, Words, commas, listing, words
from rasd.phrase import Arg, Phrase

_NO_ARGS: Mapping[str, Arg] = {}


class Names(Protocol):
    """The names of what a phrase names by id, in a language."""

    def service(self, service_id: str, lang: str) -> str: ...
    def owner(self, owner_id: str, lang: str) -> str: ...
    def country(self, code: str, lang: str) -> str: ...


@cache
def _country_translations(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:  # no such language, or a pycountry without its locales: names stay English
        return gettext.NullTranslations()


@cache
def country_name(code: str, lang: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang == "ar" and code in ARABIC_COUNTRY_GAPS:
        return ARABIC_COUNTRY_GAPS[code]
    if lang != "en":
        return _country_translations(lang).gettext(country.name)
    return str(getattr(country, "common_name", country.name))


class CatalogNames:
    """Names from a service catalog (anything with `get(id)` and `owners`, each with a `name`
    by language); a name the catalog lacks in a language is its English one, an id it does
    not know is shown as it is."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        # an event names the same few services in every line: each is looked up once
        self._known: dict[tuple[str, str, str], str] = {}

    def service(self, service_id: str, lang: str) -> str:
        key = ("service", service_id, lang)
        name = self._known.get(key)
        if name is None:
            try:
                found = self.catalog.get(service_id)
            except (KeyError, LookupError, RasdError):
                found = None
            name = _in_language(getattr(found, "name", None), lang) or service_id
            self._known[key] = name
        return name

    def owner(self, owner_id: str, lang: str) -> str:
        key = ("owner", owner_id, lang)
        name = self._known.get(key)
        if name is None:
            found = (getattr(self.catalog, "owners", None) or {}).get(owner_id)
            name = _in_language(getattr(found, "name", None), lang) or owner_id
            self._known[key] = name
        return name

    def country(self, code: str, lang: str) -> str:
        return country_name(code, lang)


def _in_language(names: object, lang: str) -> str:
    if not isinstance(names, Mapping):
        return ""
    return str(names.get(lang) or names.get("en") or "")


def say(value: Arg, _: Words, names: Names) -> str:
    """A phrase in `_`'s language; words kept from before codes (`{"en": ..}`) as they are."""
    if isinstance(value, Phrase):
        render = _RENDER.get(value.code)
        if render is None:
            return value.code  # a code newer than this process: say at least what it is
        return render(_, value.args, names)
    if isinstance(value, Mapping):
        return str(value.get(_.lang) or value.get("en") or "")
    if value is None:
        return ""
    return str(value)


def each(value: Arg, names: Names, langs: Sequence[str] = PUBLISHED) -> dict[str, str]:
    """A phrase in each of `langs`, as the API's `{"en": ..., "ar": ...}` shapes carry it."""
    return {lang: say(value, words(lang), names) for lang in langs}


# -- arguments -------------------------------------------------------------------------------


def _text(args: Mapping[str, Arg], key: str) -> str:
    value = args.get(key)
    return "" if value is None else str(value)


def _count(args: Mapping[str, Arg], key: str) -> int:
    value = args.get(key)
    return int(value) if isinstance(value, int | float) else 0


def _items(args: Mapping[str, Arg], key: str) -> list[str]:
    value = args.get(key)
    return [str(v) for v in value] if isinstance(value, tuple) else []


def _services(_: Words, names: Names, args: Mapping[str, Arg], key: str = "services") -> list[str]:
    return [names.service(sid, _.lang) for sid in _items(args, key)]


# -- titles ----------------------------------------------------------------------------------


def join_names(_: Words, names: Sequence[str], limit: int) -> str:
    """Names joined as a list; beyond `limit`, "and N more"."""
    shown = list(names[:limit]) if limit > 0 else list(names)
    text = commas(_, shown)
    rest = len(names) - len(shown)
    if rest > 0:
        text = _.plural("{names} and {n} more", "{names} and {n} more", rest, names=text)
    return text


def _listed(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    return join_names(_, _services(_, names, args), _count(args, "shown"))


def _title_outage(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    listed = _listed(_, args, names)
    owner = _text(args, "owner")
    if not owner:
        return listed
    return _(N_("{owner}: {names}"), owner=names.owner(owner, _.lang), names=listed)


def _title_regional(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    listed = _listed(_, args, names)
    country = names.country(_text(args, "country"), _.lang)
    return _(N_("Network outage in {country}: {names}"), country=country, names=listed)


def _title_network(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    listed = _listed(_, args, names)
    network = _text(args, "network")  # "Vodafone Egypt, AS24835": a name, the same everywhere
    return _(N_("Network outage at {network}: {names}"), network=network, names=listed)


# -- the lines of an event's timeline --------------------------------------------------------

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


def _log_line(kind: str) -> Callable[[Words, Mapping[str, Arg], Names], str]:
    def render(_: Words, args: Mapping[str, Arg], names: Names) -> str:
        country = _text(args, "country")
        fields = {
            "names": join_names(_, _services(_, names, args), 0),
            "what": say(args.get("what"), _, names),
            "country": names.country(country, _.lang) if country else "",
        }
        return _(_LOG[kind], **fields)

    return render


# -- cause hints -----------------------------------------------------------------------------

# what the probes got, as a hint names it
_OUTCOME_NAMES = {
    "ok": NC_("probe outcome", "success"),
    "nxdomain": NC_("probe outcome", "NXDOMAIN (no such name)"),
    "servfail": NC_("probe outcome", "SERVFAIL"),
    "refused": NC_("probe outcome", "REFUSED"),
    "timeout": NC_("probe outcome", "timeouts"),
    "http_5xx": NC_("probe outcome", "HTTP 5xx errors"),
    "http_4xx": NC_("probe outcome", "HTTP 4xx errors"),
    "tls_error": NC_("probe outcome", "TLS errors"),
    "cert_expired": NC_("probe outcome", "an expired certificate"),
    "connect_error": NC_("probe outcome", "refused connections"),
    "unexpected_content": NC_("probe outcome", "unexpected content"),
}
_PROVIDER_KIND = {
    "cdn": NC_("provider", "CDN"),
    "cloud": NC_("provider", "cloud"),
}


def _outcome(_: Words, args: Mapping[str, Arg]) -> str:
    outcome = _text(args, "outcome")
    name = _OUTCOME_NAMES.get(outcome)
    return _(name) if name is not None else outcome


def _summary_vantages(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    outcome = _outcome(_, args)
    return _.plural(
        "{outcome} from {failing} of {n} vantage point",
        "{outcome} from {failing} of {n} vantage points",
        _count(args, "seen"),
        outcome=outcome,
        failing=_count(args, "failing"),
    )


def _routing_fields(_: Words, args: Mapping[str, Arg], names: Names) -> dict[str, object]:
    who = _text(args, "who") or names.owner(_text(args, "owner"), _.lang)
    return {"who": who, "prefixes": _text(args, "prefixes"), "pct": _count(args, "pct")}


def _summary_routing_nameservers(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    # "{pct}% of" would read as a %-format ("% o") to gettext's checks
    message = N_(
        "{who} withdrew the prefixes of its name servers ({prefixes}); "
        "share of the usual peers that still see them: {pct}%"
    )
    return _(message, **_routing_fields(_, args, names))


def _summary_routing(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    message = N_(
        "{who} withdrew its prefixes ({prefixes}); "
        "share of the usual peers that still see them: {pct}%"
    )
    return _(message, **_routing_fields(_, args, names))


def _hint_routing(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    routes = _.plural(
        "{seen} of {n} peer route",
        "{seen} of {n} peer routes",
        _count(args, "usual"),
        seen=_count(args, "seen"),
    )
    gone = _.plural(
        "{n} withdrawal this minute", "{n} withdrawals this minute", _count(args, "withdrawals")
    )
    owner = names.owner(_text(args, "owner"), _.lang)
    summary = say(args.get("summary"), _, names)
    message = N_(
        "Routes to {owner} are gone: {summary} ({routes}; {withdrawals}): "
        "{owner} cannot be reached on the internet."
    )
    return _(message, owner=owner, summary=summary, routes=routes, withdrawals=gone)


def _hint_dns_owner(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    lang = _.lang
    fields = {
        "authority": names.owner(_text(args, "authority"), lang),
        "outcome": _outcome(_, args),
        "failing": _count(args, "failing"),
        "names": commas(_, _items(args, "names")),
        "services": commas(_, _services(_, names, args)),
        "at": names.owner(_text(args, "at"), lang),
    }
    return _.plural(
        "Names under the same authoritative DNS ({authority}) fail with {outcome} from "
        "{failing} of {n} vantage point ({names}; {services}): DNS or routing trouble "
        "at {at}.",
        "Names under the same authoritative DNS ({authority}) fail with {outcome} from "
        "{failing} of {n} vantage points ({names}; {services}): DNS or routing trouble "
        "at {at}.",
        _count(args, "seen"),
        **fields,
    )


def _hint_application(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    fields = {
        "service": names.service(_text(args, "service"), _.lang),
        "outcome": _outcome(_, args),
        "failing": _count(args, "failing"),
    }
    seen = _count(args, "seen")
    if args.get("dns_answered", True):
        return _.plural(
            "{service}: {outcome} from {failing} of {n} vantage point while DNS "
            "answers: the application itself is failing.",
            "{service}: {outcome} from {failing} of {n} vantage points while DNS "
            "answers: the application itself is failing.",
            seen,
            **fields,
        )
    return _.plural(
        "{service}: {outcome} from {failing} of {n} vantage point while no DNS "
        "trouble is seen: the application itself is failing.",
        "{service}: {outcome} from {failing} of {n} vantage points while no DNS "
        "trouble is seen: the application itself is failing.",
        seen,
        **fields,
    )


def _hint_regional_network(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    services = _services(_, names, args)
    fields = {
        "region": _text(args, "region"),
        "services": commas(_, services),
        "elsewhere": commas(_, _items(args, "elsewhere")),
    }
    return _.plural(
        "Only vantage point {region} fails: {n} service ({services}) fails from there "
        "and answers from {elsewhere}: a network problem around {region}.",
        "Only vantage point {region} fails: {n} services ({services}) fail from there "
        "and answer from {elsewhere}: a network problem around {region}.",
        len(services),
        **fields,
    )


def _summary_regional_network(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    return _.plural(
        "only {region} fails, {n} other vantage point answers",
        "only {region} fails, {n} other vantage points answer",
        _count(args, "others"),
        region=_text(args, "region"),
    )


def _together(_: Words, services: int, owners: int) -> tuple[str, str]:
    count = _.plural("{n} service", "{n} services", services)
    of_owners = _.plural("of {n} owner", "of {n} owners", owners)
    return count, of_owners


def _summary_shared_provider(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    count, of_owners = _together(_, _count(args, "services"), _count(args, "owners"))
    return _(N_("{services} {of_owners} fail together"), services=count, of_owners=of_owners)


def _hint_shared_provider(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    listed = _services(_, names, args)
    count, of_owners = _together(_, len(listed), _count(args, "owners"))
    label = _PROVIDER_KIND.get(_text(args, "kind"))
    kind = _(label) if label is not None else _text(args, "kind")
    provider = names.owner(_text(args, "provider"), _.lang)
    message = N_(
        "{services} {of_owners} on the same {kind} ({provider}) fail together "
        "({names}): a problem at {provider}."
    )
    return _(
        message,
        services=count,
        of_owners=of_owners,
        kind=kind,
        provider=provider,
        names=commas(_, listed),
    )


def _at_owner(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    return names.owner(_text(args, "owner"), _.lang)


def _at_service(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    return names.service(_text(args, "service"), _.lang)


def _at_region(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    return _(N_("around {region}"), region=_text(args, "region"))


# -- an event's causes in one sentence -------------------------------------------------------

# what each kind of hint is about, in the sentence that sums an event's causes up
_TOPIC: dict[str, Contextual] = {
    "routing": NC_("cause", "routing"),
    "dns_owner": NC_("cause", "DNS"),
    "application": NC_("cause", "the application"),
    "regional_network": NC_("cause", "the network"),
    "shared_provider": NC_("cause", "a shared provider"),
}
# TRANSLATORS: what failed, and whose: "routing and DNS at Meta"
_AT = N_("{topics} at {at}")
# TRANSLATORS: the causes at one place, and what each one is: "DNS at Meta: SERVFAIL from ..."
_SUMMED = N_("{head}: {summaries}")
# TRANSLATORS: joins what each cause is: "AS32934 withdrew ...; SERVFAIL from 5 of 5 ..."
_NEXT_SUMMARY = NC_("causes", "{items}; {item}")


def _topic(_: Words, code: str) -> str:
    topic = _TOPIC.get(code)
    return _(topic) if topic is not None else code


def _cause_label(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    """A few words for a cause: "DNS at Meta"."""
    topic = _topic(_, _text(args, "code"))
    at = say(args.get("at"), _, names)
    return _(_AT, topics=topic, at=at) if at else topic


def _causes(_: Words, args: Mapping[str, Arg], names: Names) -> str:
    """ "Routing and DNS at Meta: AS32934 withdrew the prefixes of its name servers; SERVFAIL
    from 5 of 5 vantage points" — the causes in the order correlation gives them, those at the
    same place in one clause."""
    items = args.get("causes")
    causes = [c for c in items if isinstance(c, Phrase)] if isinstance(items, tuple) else []
    groups: dict[str, list[Mapping[str, Arg]]] = {}
    for cause in causes:
        groups.setdefault(say(cause.args.get("at"), _, names), []).append(cause.args)
    parts = []
    for at, members in groups.items():
        topics = list(dict.fromkeys(_topic(_, _text(m, "code")) for m in members))
        head = _(_AT, topics=listing(_, topics), at=at)
        head = head[:1].upper() + head[1:]
        summaries = [s for s in (say(m.get("summary"), _, names) for m in members) if s]
        if summaries:
            joined = summaries[0]
            for summary in summaries[1:]:
                joined = _(_NEXT_SUMMARY, items=joined, item=summary)
            head = _(_SUMMED, head=head, summaries=joined)
        parts.append(head)
    return " — ".join(parts)


_RENDER: dict[str, Callable[[Words, Mapping[str, Arg], Names], str]] = {
    "title.outage": _title_outage,
    "title.regional": _title_regional,
    "title.network": _title_network,
    **{f"log.{kind}": _log_line(kind) for kind in _LOG},
    "hint.routing": _hint_routing,
    "hint.dns_owner": _hint_dns_owner,
    "hint.application": _hint_application,
    "hint.regional_network": _hint_regional_network,
    "hint.shared_provider": _hint_shared_provider,
    "summary.vantages": _summary_vantages,
    "summary.routing": _summary_routing,
    "summary.routing_nameservers": _summary_routing_nameservers,
    "summary.regional_network": _summary_regional_network,
    "summary.shared_provider": _summary_shared_provider,
    "at.owner": _at_owner,
    "at.service": _at_service,
    "at.region": _at_region,
    "cause.label": _cause_label,
    "causes": _causes,
}


def codes() -> frozenset[str]:
    """Every code this says (a test holds the domain to them)."""
    return frozenset(_RENDER)
