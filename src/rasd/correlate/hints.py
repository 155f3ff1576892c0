"""Cause hints: what the probes and the routes say about why services fail, with the evidence,
in two languages.

Five patterns, read from the probe evidence of every service and the route evidence of every
owner at one minute:
- `routing`: the route collectors' peers no longer see an owner's prefixes (those of its
  name servers above all): the owner is unreachable on the internet;
- `dns_owner`: names under the same authoritative DNS fail (SERVFAIL, timeouts) from a quorum
  of vantage points: DNS or routing trouble at whoever runs those servers;
- `application`: HTTP fails from a quorum of vantage points while DNS answers: the application;
- `regional_network`: one vantage point fails while the others reach the same services: the
  network in that region;
- `shared_provider`: services of several owners on one CDN or cloud fail together.
A hint is a suggestion with its evidence, never a verdict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rasd.locale import N_, NC_, PUBLISHED, Contextual, Words, commas, each, words
from rasd.signals.probes import ProbeEvidence, catalog_services, quorum_size
from rasd.signals.routes import RouteEvidence

ROUTING = "routing"
DNS_OWNER = "dns_owner"
APPLICATION = "application"
REGIONAL_NETWORK = "regional_network"
SHARED_PROVIDER = "shared_provider"

# a provider nobody has checked is no evidence of sharing (the catalog's own marker)
_UNKNOWN = "unknown"
# a service whose owner answers for its names itself
_SELF = "self"

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


@dataclass(frozen=True)
class CauseHint:
    """One suggested cause. `subject` is what it is about (the DNS authority, the owner whose
    routes went, the region, the provider, the service): with the code it makes the `key` the
    hint keeps from minute to minute while its counts change. `at` names whose trouble it is,
    `summary` says the evidence in a few words, `confidence` is in [0, 1]."""

    code: str
    text: dict[str, str]
    services: list[str]
    evidence: dict[str, Any]
    subject: str = ""
    at: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.5

    @property
    def key(self) -> str:
        return f"{self.code}:{self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "key": self.key,
            "text": self.text,
            "at": self.at,
            "summary": self.summary,
            "confidence": self.confidence,
            "services": self.services,
            "evidence": self.evidence,
        }


def cause_hints(
    services_evidence: Mapping[str, ProbeEvidence],
    catalog: Any,
    routes: Mapping[str, RouteEvidence] | None = None,
) -> list[CauseHint]:
    """Every hint the evidence supports, most telling first: routing, shared provider, DNS,
    application, regional network. Services a shared-provider hint explains get no application
    hint of their own. Routing and DNS trouble at the same owner back each other up: each
    is more certain for the other.
    """
    names = _Names(catalog)
    evidence = {sid: ev for sid, ev in services_evidence.items() if ev.vantages}
    shared = _shared_provider(evidence, names)
    explained = {sid for hint in shared for sid in hint.services}
    routing = _routing(routes or {}, names)
    dns = _dns_owner(evidence, names)
    routed = {h.subject: h for h in routing}
    for i, hint in enumerate(dns):
        owners = hint.evidence.get("owners") or []
        route = routed.get(owners[0]) if len(owners) == 1 else None
        if route is not None:
            both = _together(hint.confidence, route.confidence)
            dns[i] = replace(hint, confidence=both)
            routed[route.subject] = replace(route, confidence=both)
    return [
        *(routed[h.subject] for h in routing),
        *shared,
        *dns,
        *(h for h in _application(evidence, names) if not set(h.services) <= explained),
        *_regional_network(evidence, names),
    ]


def _together(a: float, b: float) -> float:
    return round(min(_MOST_CONFIDENT, 1.0 - (1.0 - a) * (1.0 - b)), 2)


class _Names:
    """Services by id, and the names people know them and their owners by, per language."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        self.services: dict[str, Any] = {s.id: s for s in catalog_services(catalog)}

    def service(self, sid: str, lang: str) -> str:
        service = self.services.get(sid)
        display = getattr(service, "display_name", None)
        return str(display(lang)) if callable(display) else sid

    def services_list(self, sids: Iterable[str], lang: str) -> str:
        return _listing((self.service(sid, lang) for sid in sids), lang)

    def owner(self, owner_id: str, lang: str) -> str:
        display = getattr(self.catalog, "owner_name", None)
        return str(display(owner_id, lang)) if callable(display) else owner_id

    def attribute(self, sid: str, attribute: str) -> str | None:
        return _provider_of(self.services.get(sid), attribute)

    def of_owner(self, owner_id: str) -> list[str]:
        found = (sid for sid, s in self.services.items() if getattr(s, "owner", "") == owner_id)
        return sorted(found)

    def asns(self, owner_id: str) -> list[int]:
        owner = getattr(self.catalog, "owners", {}).get(owner_id)
        return list(getattr(owner, "asns", ()) or ())


# --- evidence helpers ---

_LANGS = PUBLISHED
# a hint is a suggestion: even unanimous evidence leaves room for another explanation
_MOST_CONFIDENT = 0.95


def _confidence(agreeing: int, seen: int) -> float:
    """The share that agrees, discounted below three witnesses (one alone proves little)."""
    if seen <= 0:
        return 0.0
    return round(min(_MOST_CONFIDENT, agreeing / seen * min(1.0, seen / 3)), 2)


def _common(vantages: list[str], checks: list[str], answers: Mapping[str, int]) -> dict[str, Any]:
    """The evidence every probe hint carries under the same names: which vantage points,
    which checks, and what answered."""
    return {"vantages": vantages, "checks": checks, "answers": dict(answers)}


def _said(say: Callable[[Words], str]) -> dict[str, str]:
    """A hint's words in each published language."""
    return {lang: say(words(lang)) for lang in _LANGS}


def _from_vantages(outcome: str, failing: int, seen: int) -> dict[str, str]:
    def say(_: Words) -> str:
        name = _outcome_name(outcome, _)
        return _.plural(
            "{outcome} from {failing} of {n} vantage point",
            "{outcome} from {failing} of {n} vantage points",
            seen,
            outcome=name,
            failing=failing,
        )

    return _said(say)


def _failing_with(ev: ProbeEvidence, kind: str) -> list[str]:
    return sorted(v for v, kinds in ev.failing_kinds.items() if kind in kinds)


def _at_quorum(failing: list[str], ev: ProbeEvidence) -> bool:
    return len(failing) >= quorum_size(len(ev.vantages))


def _outcomes(evs: Iterable[ProbeEvidence], kind: str, *, failures_only: bool) -> dict[str, int]:
    total: Counter[str] = Counter()
    for ev in evs:
        for outcome, count in ev.outcomes.get(kind, {}).items():
            if not failures_only or outcome != "ok":
                total[outcome] += count
    return dict(sorted(total.items()))


def _main_outcome(outcomes: Mapping[str, int]) -> str:
    return max(sorted(outcomes), key=lambda o: outcomes[o]) if outcomes else "timeout"


def _outcome_name(outcome: str, _: Words) -> str:
    name = _OUTCOME_NAMES.get(outcome)
    return _(name) if name is not None else outcome


def _listing(items: Iterable[str], lang: str) -> str:
    return commas(words(lang), list(items))


def _provider_of(service: Any, attribute: str) -> str | None:
    value = getattr(service, attribute, None)
    if not isinstance(value, str) or not value or value == _UNKNOWN:
        return None
    return value


# --- the four patterns ---


def _routing(routes: Mapping[str, RouteEvidence], names: _Names) -> list[CauseHint]:
    hints = []
    for owner, ev in sorted(routes.items()):
        sids = names.of_owner(owner)
        if not ev.below or ev.share is None or not sids:
            continue
        nameservers = any(p.usual for p in ev.nameservers)
        watched = ev.nameservers if nameservers else ev.prefixes
        gone = [p.prefix for p in watched if p.usual and p.seen * 2 < p.usual]
        shown = gone or [p.prefix for p in watched if p.usual]
        seen = sum(min(p.seen, p.usual) for p in watched if p.usual)
        usual = sum(p.usual for p in watched if p.usual)
        asns = names.asns(owner) or ev.origins
        pct = round(100 * (ev.share or 0.0))
        listed = ", ".join(shown)  # prefixes read the same in every language
        withdrawals = ev.withdrawals
        who = "/".join(f"AS{a}" for a in asns)

        def summary_of(
            _: Words, owner: str = owner, who: str = who, listed: str = listed, pct: int = pct,
            nameservers: bool = nameservers,
        ) -> str:  # fmt: skip
            fields = {"who": who or names.owner(owner, _.lang), "prefixes": listed, "pct": pct}
            if nameservers:
                # "{pct}% of" would read as a %-format ("% o") to gettext's checks
                message = N_(
                    "{who} withdrew the prefixes of its name servers ({prefixes}); "
                    "share of the usual peers that still see them: {pct}%"
                )
            else:
                message = N_(
                    "{who} withdrew its prefixes ({prefixes}); "
                    "share of the usual peers that still see them: {pct}%"
                )
            return _(message, **fields)

        def text_of(
            _: Words, owner: str = owner, seen: int = seen, usual: int = usual,
            withdrawals: int = withdrawals, summary_of: Callable[[Words], str] = summary_of,
        ) -> str:  # fmt: skip
            routes = _.plural(
                "{seen} of {n} peer route", "{seen} of {n} peer routes", usual, seen=seen
            )
            gone = _.plural(
                "{n} withdrawal this minute", "{n} withdrawals this minute", withdrawals
            )
            fields = {"owner": names.owner(owner, _.lang), "summary": summary_of(_)}
            return _(
                N_(
                    "Routes to {owner} are gone: {summary} ({routes}; {withdrawals}): "
                    "{owner} cannot be reached on the internet."
                ),
                routes=routes,
                withdrawals=gone,
                **fields,
            )

        summary = _said(summary_of)
        text = _said(text_of)
        hints.append(
            CauseHint(
                code=ROUTING,
                text=text,
                services=sids,
                evidence={
                    "owner": owner,
                    "asns": asns,
                    "prefixes": shown,
                    "nameserver_prefixes": [p.prefix for p in ev.nameservers],
                    "share": ev.share,
                    "usual_peers": ev.usual_peers,
                    "unseen_peers": ev.unseen_peers,
                    "withdrawals_per_minute": ev.withdrawals,
                    "below_since": ev.below_since,
                    "seen": [p.to_dict() for p in watched],
                    "counts": {"seen": seen, "usual": usual},
                },
                subject=owner,
                at={lang: names.owner(owner, lang) for lang in _LANGS},
                summary=summary,
                confidence=round(
                    min(_MOST_CONFIDENT, (1.0 - (ev.share or 0.0)) * min(1.0, ev.usual_peers / 10)),
                    2,
                ),
            )
        )
    return hints


def _dns_owner(evidence: Mapping[str, ProbeEvidence], names: _Names) -> list[CauseHint]:
    groups: dict[str, list[str]] = defaultdict(list)
    for sid, ev in sorted(evidence.items()):
        if not _at_quorum(_failing_with(ev, "dns"), ev):
            continue
        # the authoritative DNS: the named provider, else the owner who runs its own
        provider = names.attribute(sid, "dns_provider")
        if provider is None or provider == _SELF:
            provider = names.attribute(sid, "owner") or sid
        groups[provider].append(sid)
    hints = []
    for authority, sids in sorted(groups.items()):
        evs = [evidence[sid] for sid in sids]
        owners = sorted({names.attribute(sid, "owner") or sid for sid in sids})
        failing = sorted({v for ev in evs for v in _failing_with(ev, "dns")})
        seen = sorted({v for ev in evs for v in ev.vantages})
        outcomes = _outcomes(evs, "dns", failures_only=True)
        main = _main_outcome(outcomes)
        dns_names = sorted({name for ev in evs for name in ev.failing_targets.get("dns", [])})
        # several owners under one DNS provider: the trouble is the provider's
        at = authority if len(owners) > 1 else owners[0]

        def text_of(
            _: Words, authority: str = authority, at: str = at, sids: list[str] = sids,
            failing: list[str] = failing, seen: list[str] = seen, main: str = main,
            dns_names: list[str] = dns_names,
        ) -> str:  # fmt: skip
            lang = _.lang
            fields = {
                "authority": names.owner(authority, lang),
                "outcome": _outcome_name(main, _),
                "failing": len(failing),
                "names": _listing(dns_names, lang),
                "services": names.services_list(sids, lang),
                "at": names.owner(at, lang),
            }
            return _.plural(
                "Names under the same authoritative DNS ({authority}) fail with {outcome} from "
                "{failing} of {n} vantage point ({names}; {services}): DNS or routing trouble "
                "at {at}.",
                "Names under the same authoritative DNS ({authority}) fail with {outcome} from "
                "{failing} of {n} vantage points ({names}; {services}): DNS or routing trouble "
                "at {at}.",
                len(seen),
                **fields,
            )

        text = _said(text_of)
        hints.append(
            CauseHint(
                code=DNS_OWNER,
                text=text,
                services=sids,
                evidence={
                    "authority": authority,
                    "owners": owners,
                    "names": dns_names,
                    "outcomes": outcomes,
                    "failing_vantages": failing,
                    "vantages_seen": seen,
                    "counts": {"failing": len(failing), "seen": len(seen)},
                    **_common(failing, ["dns"], outcomes),
                },
                subject=authority,
                at={lang: names.owner(at, lang) for lang in _LANGS},
                summary=_from_vantages(main, len(failing), len(seen)),
                confidence=_confidence(len(failing), len(seen)),
            )
        )
    return hints


def _application(evidence: Mapping[str, ProbeEvidence], names: _Names) -> list[CauseHint]:
    hints = []
    for sid, ev in sorted(evidence.items()):
        failing = _failing_with(ev, "http")
        if not _at_quorum(failing, ev) or _failing_with(ev, "dns"):
            continue
        dns_results = _outcomes([ev], "dns", failures_only=False)
        if any(outcome != "ok" for outcome in dns_results):
            continue  # a resolver stumbling somewhere: not "DNS is fine"
        outcomes = _outcomes([ev], "http", failures_only=True)
        main = _main_outcome(outcomes)
        seen = ev.vantages

        def text_of(
            _: Words, sid: str = sid, main: str = main, failing: list[str] = failing,
            seen: list[str] = seen, answered: bool = bool(dns_results),
        ) -> str:  # fmt: skip
            fields = {
                "service": names.service(sid, _.lang),
                "outcome": _outcome_name(main, _),
                "failing": len(failing),
            }
            if answered:
                return _.plural(
                    "{service}: {outcome} from {failing} of {n} vantage point while DNS "
                    "answers: the application itself is failing.",
                    "{service}: {outcome} from {failing} of {n} vantage points while DNS "
                    "answers: the application itself is failing.",
                    len(seen),
                    **fields,
                )
            return _.plural(
                "{service}: {outcome} from {failing} of {n} vantage point while no DNS "
                "trouble is seen: the application itself is failing.",
                "{service}: {outcome} from {failing} of {n} vantage points while no DNS "
                "trouble is seen: the application itself is failing.",
                len(seen),
                **fields,
            )

        text = _said(text_of)
        hints.append(
            CauseHint(
                code=APPLICATION,
                text=text,
                services=[sid],
                evidence={
                    "outcomes": outcomes,
                    "dns_outcomes": dns_results,
                    "targets": ev.failing_targets.get("http", []),
                    "failing_vantages": failing,
                    "vantages_seen": seen,
                    "counts": {"failing": len(failing), "seen": len(seen)},
                    **_common(failing, ["http"], outcomes),
                },
                subject=sid,
                at={lang: names.service(sid, lang) for lang in _LANGS},
                summary=_from_vantages(main, len(failing), len(seen)),
                confidence=_confidence(len(failing), len(seen)),
            )
        )
    return hints


def _regional_network(evidence: Mapping[str, ProbeEvidence], names: _Names) -> list[CauseHint]:
    alone: dict[str, list[str]] = defaultdict(list)
    for sid, ev in sorted(evidence.items()):
        if len(ev.failing_vantages) == 1 and ev.healthy_vantages:
            alone[ev.failing_vantages[0]].append(sid)
    hints = []
    for region, sids in sorted(alone.items()):
        evs = [evidence[sid] for sid in sids]
        elsewhere = sorted({v for ev in evs for v in ev.healthy_vantages})
        healthy_there = sorted(sid for sid, ev in evidence.items() if region in ev.healthy_vantages)
        kinds = sorted({k for ev in evs for k in ev.failing_kinds.get(region, [])})
        outcomes = {kind: _outcomes(evs, kind, failures_only=True) for kind in kinds}

        def text_of(
            _: Words, region: str = region, sids: list[str] = sids, elsewhere: list[str] = elsewhere
        ) -> str:
            lang = _.lang
            fields = {
                "region": region,
                "services": names.services_list(sids, lang),
                "elsewhere": _listing(elsewhere, lang),
            }
            return _.plural(
                "Only vantage point {region} fails: {n} service ({services}) fails from there "
                "and answers from {elsewhere}: a network problem around {region}.",
                "Only vantage point {region} fails: {n} services ({services}) fail from there "
                "and answer from {elsewhere}: a network problem around {region}.",
                len(sids),
                **fields,
            )

        def summary_of(_: Words, region: str = region, others: int = len(elsewhere)) -> str:
            return _.plural(
                "only {region} fails, {n} other vantage point answers",
                "only {region} fails, {n} other vantage points answer",
                others,
                region=region,
            )

        text = _said(text_of)
        hints.append(
            CauseHint(
                code=REGIONAL_NETWORK,
                text=text,
                services=sids,
                evidence={
                    "region": region,
                    "kinds": kinds,
                    "outcomes": outcomes,
                    "healthy_vantages": elsewhere,
                    "services_healthy_in_region": healthy_there,
                    "counts": {"failing_services": len(sids), "healthy_vantages": len(elsewhere)},
                    "vantages": [region],
                    "checks": kinds,
                    "answers": outcomes,
                },
                subject=region,
                at=each(N_("around {region}"), region=region),
                summary=_said(summary_of),
                # one vantage against the rest: the more that answer, the surer it is local
                confidence=_confidence(len(elsewhere), len(elsewhere) + 1),
            )
        )
    return hints


def _shared_provider(evidence: Mapping[str, ProbeEvidence], names: _Names) -> list[CauseHint]:
    hints = []
    down = sorted(sid for sid, ev in evidence.items() if ev.quorum and sid in names.services)
    for attribute in ("cdn", "cloud"):
        groups: dict[str, list[str]] = defaultdict(list)
        for sid in down:
            provider = names.attribute(sid, attribute)
            if provider is not None:
                groups[provider].append(sid)
        for provider, sids in sorted(groups.items()):
            owners = sorted({names.attribute(sid, "owner") or sid for sid in sids})
            if len(owners) < 2:
                continue  # one owner failing everywhere is that owner's own trouble
            evs = [evidence[sid] for sid in sids]
            failing = sorted({v for ev in evs for v in ev.failing_vantages})
            kinds = sorted({k for ev in evs for ks in ev.failing_kinds.values() for k in ks})
            outcomes = {kind: _outcomes(evs, kind, failures_only=True) for kind in kinds}
            label = _PROVIDER_KIND[attribute]

            def summary_of(_: Words, services: int = len(sids), owners_: int = len(owners)) -> str:
                count = _.plural("{n} service", "{n} services", services)
                of_owners = _.plural("of {n} owner", "of {n} owners", owners_)
                return _(
                    N_("{services} {of_owners} fail together"), services=count, of_owners=of_owners
                )

            def text_of(
                _: Words,
                provider: str = provider,
                sids: list[str] = sids,
                owners_: int = len(owners),
                label: Contextual = label,
            ) -> str:
                lang = _.lang
                count = _.plural("{n} service", "{n} services", len(sids))
                of_owners = _.plural("of {n} owner", "of {n} owners", owners_)
                fields = {
                    "kind": _(label),
                    "provider": names.owner(provider, lang),
                    "names": names.services_list(sids, lang),
                }
                return _(
                    N_(
                        "{services} {of_owners} on the same {kind} ({provider}) fail together "
                        "({names}): a problem at {provider}."
                    ),
                    services=count,
                    of_owners=of_owners,
                    **fields,
                )

            text = _said(text_of)
            hints.append(
                CauseHint(
                    code=SHARED_PROVIDER,
                    text=text,
                    services=sids,
                    evidence={
                        "provider": provider,
                        "provider_kind": attribute,
                        "owners": owners,
                        "outcomes": outcomes,
                        "failing_vantages": failing,
                        "counts": {"services": len(sids), "owners": len(owners)},
                        "vantages": failing,
                        "checks": kinds,
                        "answers": outcomes,
                    },
                    subject=f"{attribute}:{provider}",
                    at={lang: names.owner(provider, lang) for lang in _LANGS},
                    summary=_said(summary_of),
                    confidence=_confidence(len(owners), len(owners) + 1),
                )
            )
    return hints
