from datetime import UTC, datetime

from rasd.correlate.regional import Candidate, cluster, home_country
from rasd.detect.fusion import Level
from rasd.incidents import Incident, IncidentState, Peak, RegionImpact, Severity

from .fixtures import catalog

WHEN = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)


def incident(service: str, regions: list[tuple[str, float, float]]) -> Incident:
    return Incident(
        id=f"{service}-x",
        service=service,
        state=IncidentState.ONGOING,
        level=Level.DETECTED,
        max_level=Level.DETECTED,
        start=WHEN,
        end=None,
        detected_at=WHEN,
        updated_at=WHEN,
        peak=Peak(100.0, 10.0, 9.2, WHEN),
        severity=Severity("major", 9.2, 90.0, 900.0, 9.2),
        regions=tuple(RegionImpact(*r) for r in regions),
        relapses=0,
        probe_failures=False,
    )


def test_home_country_is_where_most_of_the_rise_is() -> None:
    cat = catalog()
    egypt = incident("youtube", [("EG", 900, 100), ("EG/Cairo", 600, 50), ("SA", 130, 100)])
    assert home_country(egypt, cat.get("youtube"), 0.6) == "EG"
    spread = incident("youtube", [("US", 500, 100), ("DE", 400, 100), ("EG", 300, 100)])
    assert home_country(spread, cat.get("youtube"), 0.6) is None
    assert home_country(spread, cat.get("youtube"), 0.4) == "US"


def test_home_country_of_a_one_country_service_without_figures() -> None:
    cat = catalog()
    assert home_country(incident("stc", []), cat.get("stc"), 0.6) == "SA"
    assert home_country(incident("youtube", []), cat.get("youtube"), 0.6) is None
    assert home_country(incident("youtube", []), None, 0.6) is None


def test_cluster_needs_many_services_of_many_owners_close_in_time() -> None:
    many = [Candidate(10 + i, f"i{i}", f"s{i}", f"o{i % 3}") for i in range(5)]
    found = cluster(many, window=15, min_services=4, min_owners=3)
    assert found is not None and len(found) == 5
    assert cluster(many, window=15, min_services=6, min_owners=3) is None
    assert cluster(many, window=15, min_services=4, min_owners=4) is None
    spread = [Candidate(10 + 20 * i, f"i{i}", f"s{i}", f"o{i}") for i in range(5)]
    assert cluster(spread, window=15, min_services=4, min_owners=3) is None


def test_cluster_takes_the_largest_window() -> None:
    times = [0, 30, 31, 33, 34, 40, 90]
    candidates = [Candidate(t, f"i{t}", f"s{t}", f"o{t}") for t in times]
    found = cluster(candidates, window=10, min_services=3, min_owners=3)
    assert found is not None
    assert [c.start for c in found] == [30, 31, 33, 34, 40]
