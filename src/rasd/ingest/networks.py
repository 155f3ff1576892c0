"""The network (AS number and name) and country of a client address, looked up offline.

The data is a MaxMind-format (MMDB) file the operator supplies: an ASN database
(GeoLite2-ASN, DB-IP's IP-to-ASN Lite, iptoasn, ipinfo Lite...) and, optionally, a country
database beside it. Without one the directory is empty and says so: reports still count, only
by place. The address itself is never kept; a report keeps the label of its network.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import maxminddb

_MEMO_SIZE = 100_000
_IPV4_PREFIX = re.compile(r"(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}")
_AS_TEXT = re.compile(r"(?:AS)?(\d{1,10})", re.IGNORECASE)
# the label's fields are joined by a character no AS name in the registries' data uses
_SEP = "|"


class Network(NamedTuple):
    asn: int
    name: str
    country: str | None  # where the address is registered, ISO 3166 alpha-2

    @property
    def label(self) -> str:
        """How a report carries its network, and how its series is named: `AS24835|EG|name`."""
        return _SEP.join((f"AS{self.asn}", self.country or "", self.name))

    @property
    def title(self) -> str:
        """How people name it: "Vodafone Egypt, AS24835"."""
        return f"{self.name}, AS{self.asn}" if self.name else f"AS{self.asn}"


def network_of_label(label: str) -> Network | None:
    """A label read back; None for the empty label (no network known)."""
    if not label:
        return None
    asn, country, name = (label.split(_SEP, 2) + ["", ""])[:3]
    return Network(int(asn[2:]), name, country or None)


@dataclass(frozen=True)
class NetworkData:
    """What the loaded files are, for the status API and the page's "no network data"."""

    files: tuple[str, ...]
    kinds: tuple[str, ...]
    built: tuple[int, ...]  # each file's build time, Unix seconds


class NetworkDirectory:
    """Looks up addresses in the operator's MMDB files; `label` is the hot path of ingest.

    Addresses are remembered by their /24 (IPv4) or /48 (IPv6): no network is announced in
    smaller pieces than these on the internet, so an IPv4 batch of many people on one ISP costs
    one lookup per /24 rather than per address.
    """

    def __init__(self, paths: Sequence[Path] = ()) -> None:
        self._readers = [maxminddb.open_database(str(p)) for p in paths]
        self._memo: dict[str, str] = {}
        kinds: list[str] = []
        built: list[int] = []
        for reader in self._readers:
            meta = reader.metadata()
            kinds.append(str(meta.database_type))
            built.append(int(meta.build_epoch))
        self.data = NetworkData(tuple(p.name for p in paths), tuple(kinds), tuple(built))

    @property
    def available(self) -> bool:
        return bool(self._readers)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers = []

    def label(self, address: str) -> str:
        """The label of the address's network; "" when no file knows it (or there is none)."""
        if not self._readers:
            return ""
        match = _IPV4_PREFIX.fullmatch(address)
        key = match.group(1) if match else (_ipv6_prefix(address) or address)
        known = self._memo.get(key)
        if known is None:
            found = self.lookup(address)
            known = found.label if found is not None else ""
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()  # a flood of distinct networks must not grow it without end
            self._memo[key] = known
        return known

    def lookup(self, address: str) -> Network | None:
        """The network of one address, from every file together; None when none knows it."""
        asn = 0
        name = ""
        country: str | None = None
        for reader in self._readers:
            try:
                record = reader.get(address)
            except ValueError:
                return None  # not an address
            if not isinstance(record, Mapping):
                continue
            found_asn, found_name = _asn_of(record)
            if found_asn and not asn:
                asn, name = found_asn, found_name
            country = country or _country_of(record)
        return Network(asn, name, country) if asn else None


def _ipv6_prefix(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 4:
        return None
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


def _asn_of(record: Mapping[str, Any]) -> tuple[int, str]:
    """The AS number and name in any of the usual layouts: MaxMind's and DB-IP's
    (`autonomous_system_number`, `autonomous_system_organization`), ipinfo's (`asn`
    "AS24835", `as_name`)."""
    number = record.get("autonomous_system_number", record.get("asn"))
    name = record.get("autonomous_system_organization", record.get("as_name", ""))
    if isinstance(number, str):
        match = _AS_TEXT.fullmatch(number.strip())
        number = int(match.group(1)) if match else 0
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**32:
        return 0, ""
    text = name if isinstance(name, str) else ""
    return number, " ".join(text.replace(_SEP, " ").split())[:120]


def _country_of(record: Mapping[str, Any]) -> str | None:
    """MaxMind's `country.iso_code`, or a flat `country_code` (ipinfo, ip-location-db)."""
    country = record.get("country")
    code = country.get("iso_code") if isinstance(country, Mapping) else None
    if code is None:
        code = record.get("country_code")
    if isinstance(code, str) and len(code) == 2 and code.isalpha():
        return code.upper()
    return None
