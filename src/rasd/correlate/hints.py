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
A hint is a suggestion with its evidence, never a verdict. What it says, whose trouble it is
and its evidence in a few words are phrases (rasd.phrase): codes with ids and counts, said in
the reader's language by `rasd.locale.phrases`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from rasd.phrase import Arg, Phrase
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


@dataclass(frozen=True)
class CauseHint:
    """One suggested cause. `subject` is what it is about (the DNS authority, the owner whose
    routes went, the region, the provider, the service): with the code it makes the `key` the
    hint keeps from minute to minute while its counts change. `at` names whose trouble it is,
    `summary` says the evidence in a few words, `confidence` is in [0, 1]."""

    code: str
    text: Arg  # a phrase (`hint.<code>`); words, in a hint checkpointed before codes
    services: list[str]
    evidence: dict[str, Any]
    subject: str = ""
    at: Arg = None
    summary: Arg = None
    confidence: float = 0.5

    @property
    def key(self) -> str:
        return f"{self.code}:{self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "key": self.key,
            "text": _out(self.text),
            "at": _out(self.at),
            "summary": _out(self.summary),
            "confidence": self.confidence,
            "services": self.services,
            "evidence": self.evidence,
        }


def _out(value: Arg) -> Any:
    return value.to_dict() if isinstance(value, Phrase) else value


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
    """Services by id, and what the catalog says of them and their owners."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        self.services: dict[str, Any] = {s.id: s for s in catalog_services(catalog)}

    def attribute(self, sid: str, attribute: str) -> str | None:
        return _provider_of(self.services.get(sid), attribute)

    def of_owner(self, owner_id: str) -> list[str]:
        found = (sid for sid, s in self.services.items() if getattr(s, "owner", "") == owner_id)
        return sorted(found)

    def asns(self, owner_id: str) -> list[int]:
        owner = getattr(self.catalog, "owners", {}).get(owner_id)
        return list(getattr(owner, "asns", ()) or ())


# --- evidence helpers ---

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


def _from_vantages(outcome: str, failing: int, seen: int) -> Phrase:
    return Phrase("summary.vantages", {"outcome": outcome, "failing": failing, "seen": seen})


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
        summary = Phrase(
            "summary.routing_nameservers" if nameservers else "summary.routing",
            {
                # AS numbers and prefixes read the same in every language
                "who": "/".join(f"AS{a}" for a in asns),
                "owner": owner,
                "prefixes": ", ".join(shown),
                "pct": pct,
            },
        )
        text = Phrase(
            "hint.routing",
            {
                "owner": owner,
                "summary": summary,
                "seen": seen,
                "usual": usual,
                "withdrawals": ev.withdrawals,
            },
        )
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
                at=Phrase("at.owner", {"owner": owner}),
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
        text = Phrase(
            "hint.dns_owner",
            {
                "authority": authority,
                "outcome": main,
                "failing": len(failing),
                "seen": len(seen),
                "names": tuple(dns_names),
                "services": tuple(sids),
                "at": at,
            },
        )
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
                at=Phrase("at.owner", {"owner": at}),
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
        args: dict[str, Arg] = {
            "service": sid,
            "outcome": main,
            "failing": len(failing),
            "seen": len(seen),
            # DNS answered from the vantage points, or was not asked there
            "dns_answered": bool(dns_results),
        }
        hints.append(
            CauseHint(
                code=APPLICATION,
                text=Phrase("hint.application", args),
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
                at=Phrase("at.service", {"service": sid}),
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
        text = Phrase(
            "hint.regional_network",
            {"region": region, "services": tuple(sids), "elsewhere": tuple(elsewhere)},
        )
        summary = Phrase("summary.regional_network", {"region": region, "others": len(elsewhere)})
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
                at=Phrase("at.region", {"region": region}),
                summary=summary,
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
            text = Phrase(
                "hint.shared_provider",
                {
                    "services": tuple(sids),
                    "owners": len(owners),
                    "kind": attribute,
                    "provider": provider,
                },
            )
            summary = Phrase(
                "summary.shared_provider", {"services": len(sids), "owners": len(owners)}
            )
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
                    at=Phrase("at.owner", {"owner": provider}),
                    summary=summary,
                    confidence=_confidence(len(owners), len(owners) + 1),
                )
            )
    return hints
