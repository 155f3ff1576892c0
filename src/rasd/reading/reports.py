"""What a service's reports say beyond their count: the networks they come from.

The service page (`rasd.web.views`) and `GET /api/v1/services/{id}/networks` read the same.
"""

from __future__ import annotations

from typing import Any

from rasd.ingest.networks import network_of_label
from rasd.runtime import Runtime
from rasd.store import queries


def networks(
    rt: Runtime, service_id: str, lang: str, since: int, until: int, top: int = 10
) -> dict[str, Any]:
    """The networks people report from, most reports first, and whether any data says so:
    without a network file (setting `network_db`) there is none to show."""
    total = 0
    found: list[dict[str, Any]] = []
    for label, n in queries.network_reports(rt.store, service_id, since, until).items():
        network = network_of_label(label)
        if network is None:
            continue
        total += n
        found.append(
            {
                "asn": network.asn,
                "name": network.name,
                "title": network.title,
                "country": network.country,
                "country_name": (
                    rt.places.country_name(network.country, lang) if network.country else None
                ),
                "reports": n,
            }
        )
    found.sort(key=lambda x: (-int(x["reports"]), int(x["asn"])))
    for item in found:
        item["share"] = round(int(item["reports"]) / total, 4) if total else 0.0
    return {
        "data": rt.validator.networks.available or bool(found),
        "networks": found[:top],
        "total": total,
    }
