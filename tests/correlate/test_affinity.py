from rasd.correlate.affinity import NOTHING, Shared, lookup, shared

from .fixtures import catalog


def test_same_owner_and_network_and_dns() -> None:
    cat = catalog()
    common = shared(cat.get("facebook"), cat.get("whatsapp"))
    assert common.owner
    assert common.infrastructure == ("asn:32934", "dns:meta")
    assert common


def test_shared_cloud_across_owners() -> None:
    cat = catalog()
    common = shared(cat.get("amazon"), cat.get("netflix"))
    assert not common.owner
    assert common.infrastructure == ("cloud:aws",)


def test_nothing_in_common() -> None:
    cat = catalog()
    assert shared(cat.get("spotify"), cat.get("discord")) == NOTHING
    assert not NOTHING
    assert not Shared(False, ())


def test_self_run_and_unchecked_providers_are_not_shared() -> None:
    cat = catalog()
    # both run their own DNS ("self"); the Egyptian services' providers are "unknown"
    assert shared(cat.get("twitter"), cat.get("telegram")) == NOTHING
    assert shared(cat.get("vodafone-eg"), cat.get("orange-eg")) == NOTHING


def test_unknown_services() -> None:
    cat = catalog()
    assert lookup(cat, "nope") is None
    assert lookup(cat, "facebook") is cat.get("facebook")
    assert shared(None, cat.get("facebook")) == NOTHING
