"""Affinity: what two services have in common that could make them fail together.

The catalog says who owns a service and what it runs on (its networks, who serves its DNS,
its CDN, its cloud). Two services of one owner, or on one piece of infrastructure, that start
failing together are most likely one outage, not two.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from rasd.errors import RasdError

# Values that name no shared party: nobody checked, or each service runs its own.
_NOBODY = frozenset({"", "unknown", "self", "own", "none"})


class ServiceInfo(Protocol):
    """What correlation needs of a catalog service."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> Mapping[str, str]: ...
    @property
    def owner(self) -> str: ...
    @property
    def asns(self) -> Collection[int]: ...
    @property
    def dns_provider(self) -> str | None: ...
    @property
    def cdn(self) -> str | None: ...
    @property
    def cloud(self) -> str | None: ...
    @property
    def countries(self) -> Collection[str]: ...
    @property
    def category(self) -> str: ...


class OwnerInfo(Protocol):
    @property
    def name(self) -> Mapping[str, str]: ...


class CatalogInfo(Protocol):
    """What correlation needs of the catalog: `get` may raise for an unknown id."""

    @property
    def owners(self) -> Mapping[str, OwnerInfo]: ...

    def get(self, service_id: str) -> ServiceInfo: ...


@dataclass(frozen=True, slots=True)
class Shared:
    owner: bool
    infrastructure: tuple[str, ...]  # "asn:32934", "dns:meta", "cdn:akamai", "cloud:aws"

    def __bool__(self) -> bool:
        return self.owner or bool(self.infrastructure)


NOTHING = Shared(False, ())


def lookup(catalog: CatalogInfo, service_id: str) -> ServiceInfo | None:
    """The catalog entry of a service, or None for a service the catalog does not know."""
    try:
        return catalog.get(service_id)
    except (KeyError, LookupError, RasdError):
        return None


def shared(a: ServiceInfo | None, b: ServiceInfo | None) -> Shared:
    if a is None or b is None:
        return NOTHING
    owner = bool(a.owner) and a.owner == b.owner
    infrastructure = [f"asn:{asn}" for asn in sorted(set(a.asns) & set(b.asns))]
    for kind, left, right in (
        ("dns", a.dns_provider, b.dns_provider),
        ("cdn", a.cdn, b.cdn),
        ("cloud", a.cloud, b.cloud),
    ):
        if left and left == right and left.casefold() not in _NOBODY:
            infrastructure.append(f"{kind}:{left}")
    return Shared(owner, tuple(infrastructure))
