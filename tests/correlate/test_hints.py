from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from rasd.catalog import Catalog, default_catalog
from rasd.clock import minute_of
from rasd.correlate.hints import (
    APPLICATION,
    DNS_OWNER,
    REGIONAL_NETWORK,
    ROUTING,
    SHARED_PROVIDER,
    CauseHint,
    cause_hints,
)
from rasd.locale.phrases import CatalogNames
from rasd.phrase import Phrase
from rasd.signals.probes import ProbeEvidence, ProbeResult, ProbeState
from rasd.signals.routes import PrefixSeen, RouteEvidence

from .fixtures import said

T0 = datetime(2021, 10, 4, 15, 52, tzinfo=UTC)
VANTAGES = ("eu", "me", "us")
ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def _probe(
    state: ProbeState, service: str, vantage: str, dns: str = "ok", http: str = "ok"
) -> None:
    target = f"{service}.example"
    state.feed(
        [
            ProbeResult(service=service, check=f"{service}:dns", kind="dns", target=target,
                        vantage=vantage, ts=T0, outcome=dns,
                        rcode="SERVFAIL" if dns == "servfail" else "NOERROR"),
            ProbeResult(service=service, check=f"{service}:http", kind="http",
                        target=f"https://{target}/", vantage=vantage, ts=T0, outcome=http,
                        status=503 if http == "http_5xx" else 200),
        ]
    )  # fmt: skip


def _evidence(state: ProbeState) -> dict[str, ProbeEvidence]:
    return state.all_evidence(minute_of(T0))


def say(value: object, lang: str = "en") -> str:
    return said(value, CatalogNames(default_catalog()))[lang]


def _bilingual(hint: CauseHint) -> None:
    assert isinstance(hint.text, Phrase) and hint.text.code == f"hint.{hint.code}"
    assert say(hint.text) and ARABIC.search(say(hint.text, "ar"))


def test_the_meta_outage_is_dns_at_the_owner(catalog: Catalog) -> None:
    state = ProbeState()
    meta = ("facebook", "instagram", "whatsapp", "messenger")
    for service in meta:
        for vantage in VANTAGES:
            # the names do not resolve, so the home pages cannot be reached either
            _probe(state, service, vantage, dns="servfail", http="connect_error")
    for vantage in VANTAGES:
        _probe(state, "twitter", vantage)  # spill-over: people complain, probes pass
    hints = cause_hints(_evidence(state), catalog)
    assert [h.code for h in hints] == [DNS_OWNER]
    hint = hints[0]
    assert hint.services == sorted(meta)
    assert hint.evidence["authority"] == "meta" and hint.evidence["owners"] == ["meta"]
    assert hint.evidence["outcomes"] == {"servfail": 12}
    assert hint.evidence["counts"] == {"failing": 3, "seen": 3}
    assert hint.evidence["names"] == sorted(f"{s}.example" for s in meta)
    assert "SERVFAIL" in say(hint.text) and "Meta" in say(hint.text)
    assert "ميتا" in say(hint.text, "ar")
    _bilingual(hint)


def test_one_dns_provider_for_several_owners_points_at_the_provider(catalog: Catalog) -> None:
    state = ProbeState()
    for service in ("amazon", "netflix", "reddit"):
        for vantage in VANTAGES:
            _probe(state, service, vantage, dns="timeout", http="timeout")
    hints = [h for h in cause_hints(_evidence(state), catalog) if h.code == DNS_OWNER]
    assert len(hints) == 1
    assert hints[0].evidence["authority"] == "route53"
    assert hints[0].evidence["owners"] == ["amazon", "netflix", "reddit"]
    assert say(hints[0].text).endswith("at route53.")


def test_http_5xx_everywhere_while_dns_answers_is_the_application(catalog: Catalog) -> None:
    state = ProbeState()
    for vantage in VANTAGES:
        _probe(state, "telegram", vantage, http="http_5xx")
        _probe(state, "signal", vantage)
    hints = cause_hints(_evidence(state), catalog)
    assert [h.code for h in hints] == [APPLICATION]
    assert hints[0].services == ["telegram"]
    assert hints[0].evidence["outcomes"] == {"http_5xx": 3}
    assert hints[0].evidence["dns_outcomes"] == {"ok": 3}
    assert "Telegram" in say(hints[0].text) and "5xx" in say(hints[0].text, "ar")
    _bilingual(hints[0])


def test_http_failing_where_dns_also_stumbles_is_not_called_the_application(
    catalog: Catalog,
) -> None:
    state = ProbeState()
    for vantage in VANTAGES:
        _probe(
            state, "telegram", vantage, http="http_5xx", dns="servfail" if vantage == "eu" else "ok"
        )
    assert APPLICATION not in [h.code for h in cause_hints(_evidence(state), catalog)]


def test_only_one_region_failing_is_its_network(catalog: Catalog) -> None:
    state = ProbeState()
    for service in ("whatsapp", "telegram", "youtube"):
        for vantage in VANTAGES:
            failing = vantage == "me" and service != "youtube"
            _probe(state, service, vantage, http="timeout" if failing else "ok")
    hints = cause_hints(_evidence(state), catalog)
    assert [h.code for h in hints] == [REGIONAL_NETWORK]
    hint = hints[0]
    assert hint.services == ["telegram", "whatsapp"]
    assert hint.evidence["region"] == "me"
    assert hint.evidence["healthy_vantages"] == ["eu", "us"]
    assert hint.evidence["services_healthy_in_region"] == ["youtube"]
    assert hint.evidence["outcomes"] == {"http": {"timeout": 2}}
    _bilingual(hint)


def test_owners_on_one_cdn_failing_together_is_the_provider(catalog: Catalog) -> None:
    state = ProbeState()
    on_cloudflare = ("chatgpt", "cloudflare", "discord")
    for service in on_cloudflare:
        for vantage in VANTAGES:
            _probe(state, service, vantage, http="http_5xx")
    hints = cause_hints(_evidence(state), catalog)
    # the provider explains them: no separate application hints
    assert [h.code for h in hints] == [SHARED_PROVIDER]
    hint = hints[0]
    assert hint.services == sorted(on_cloudflare)
    assert hint.evidence["provider"] == "cloudflare"
    assert hint.evidence["provider_kind"] == "cdn"
    assert hint.evidence["owners"] == ["cloudflare", "discord", "openai"]
    assert hint.evidence["counts"] == {"services": 3, "owners": 3}
    _bilingual(hint)


def test_one_owner_failing_everywhere_is_not_a_shared_provider(catalog: Catalog) -> None:
    state = ProbeState()
    for service in ("google", "youtube"):
        for vantage in VANTAGES:
            _probe(state, service, vantage, http="http_5xx")
    codes = [h.code for h in cause_hints(_evidence(state), catalog)]
    assert codes == [APPLICATION, APPLICATION]


def test_nothing_to_say_when_all_is_well_or_unknown(catalog: Catalog) -> None:
    state = ProbeState()
    for vantage in VANTAGES:
        _probe(state, "facebook", vantage)
    assert cause_hints(_evidence(state), catalog) == []
    assert cause_hints({}, catalog) == []
    empty = ProbeState().evidence("facebook", minute_of(T0))
    assert cause_hints({"facebook": empty}, catalog) == []


def test_hints_serialise_with_their_evidence(catalog: Catalog) -> None:
    state = ProbeState()
    for vantage in VANTAGES:
        _probe(state, "telegram", vantage, http="http_5xx")
    data = cause_hints(_evidence(state), catalog)[0].to_dict()
    assert set(data) == {
        "code", "key", "text", "at", "summary", "confidence", "services", "evidence"
    }  # fmt: skip
    assert data["key"] == "application:telegram"
    assert data["evidence"]["failing_vantages"] == list(VANTAGES)
    # every probe hint says which vantage points, which checks and what answered
    assert data["evidence"]["vantages"] == list(VANTAGES)
    assert data["evidence"]["checks"] == ["http"]
    assert data["evidence"]["answers"] == {"http_5xx": 3}
    assert say(data["summary"]) == "HTTP 5xx errors from 3 of 3 vantage points"
    assert data["confidence"] == 0.95


def _route_evidence(share: float, below: bool = True) -> RouteEvidence:
    usual = 40
    seen = round(share * usual)
    prefixes = [PrefixSeen(p, True, seen, usual) for p in ("129.134.30.0/24", "185.89.218.0/23")]
    prefixes.append(PrefixSeen("157.240.0.0/16", False, usual, usual))
    return RouteEvidence("meta", minute_of(T0), prefixes, share, usual, usual - seen, 60, 0,
                         lost=below, below=below, below_since=minute_of(T0))  # fmt: skip


def test_routes_gone_with_names_failing_is_routing_and_dns_at_the_owner(catalog: Catalog) -> None:
    state = ProbeState()
    for service in ("facebook", "instagram"):
        for vantage in VANTAGES:
            _probe(state, service, vantage, dns="servfail", http="connect_error")
    alone = cause_hints(_evidence(state), catalog)
    hints = cause_hints(_evidence(state), catalog, routes={"meta": _route_evidence(0.05)})
    assert [h.code for h in hints] == [ROUTING, DNS_OWNER]
    routing, dns = hints
    assert routing.key == "routing:meta" and "whatsapp" in routing.services
    assert routing.evidence["asns"] == [32934]
    assert routing.evidence["prefixes"] == ["129.134.30.0/24", "185.89.218.0/23"]
    assert say(routing.summary).startswith("AS32934 withdrew the prefixes of its name servers")
    assert "5%" in say(routing.summary) and "AS32934" in say(routing.text, "ar")
    _bilingual(routing)
    # each backs the other up
    assert dns.confidence > alone[0].confidence or dns.confidence == 0.95
    assert routing.confidence == dns.confidence
    # routes that are all there say nothing
    fine = cause_hints({}, catalog, routes={"meta": _route_evidence(1.0, below=False)})
    assert fine == []
