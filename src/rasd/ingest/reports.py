"""Reports as clients send them: decoded, checked field by field, placed, and put in columns.

A batch is all or nothing: one bad report rejects the request, naming each bad field with
its index, and nothing is stored.
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.errors import Forbidden, InvalidInput, MalformedBody, field_error
from rasd.ingest.networks import NetworkDirectory
from rasd.ingest.places import Places
from rasd.signals.reports import ReportColumns, ReportRow, key_hash, make_columns

_MAX_DETAILS = 50
_MEMO_SIZE = 100_000
# client addresses: a crowd's are nearly all new, so a large memo of them hits next to never
# and its clearing (2.3-2.5 ms CPU at 100,000 entries) stalls every request then in flight;
# at this size a clearing is 0.1 ms and a client that posts again still finds its network
_CLIENT_MEMO_SIZE = 4_096
_K = TypeVar("_K")
_V = TypeVar("_V")
# a field's problem before it is numbered: field, reason, extra details
_Problem = tuple[str, str, dict[str, Any]]


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    service: str
    problem: str
    reporter: str
    country: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    ts: datetime | None = None
    ip: str | None = None


_one = msgspec.json.Decoder(ReportIn)
_elements = msgspec.json.Decoder(list[msgspec.Raw])


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}")


def _ipv4_prefix(address: str) -> str | None:
    """`a.b.c` for a dotted-quad IPv4 address, without the cost of the ipaddress module."""
    match = _IPV4.fullmatch(address)
    return match.group(1) if match else None


def valid_address(address: str) -> bool:
    if _ipv4_prefix(address) is not None:
        return True
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def network_of(address: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one: the unit of abuse limits.

    Anything that is not an address (a unix socket peer, a test client) is its own network.
    """
    prefix = _ipv4_prefix(address)
    if prefix is not None:
        return f"{prefix}.0/24"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    length = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))


def decode_one(body: bytes) -> ReportIn:
    try:
        return _one.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "the report does not have the expected fields",
            details=[_validation_detail(str(exc))],
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("the body is not valid JSON", details=[{"reason": str(exc)}]) from exc


def decode_batch(body: bytes, content_type: str, limit: int) -> list[ReportIn]:
    """A JSON array, or NDJSON (one report a line) when the content type says so."""
    batch = BatchParts(body, content_type, limit)
    items = batch.decode(0, len(batch))
    batch.check()
    return items


class BatchParts:
    """A batch body cut into its reports, each still encoded: a cheap pass over the body that
    finds its elements (and refuses a batch of more than `limit`) before any report is
    decoded, so that the costly decoding can go in slices (`decode`) between which the
    server answers others. A 14 MB body of 200,000 reports took 180 ms in one call."""

    def __init__(self, body: bytes, content_type: str, limit: int) -> None:
        self.ndjson = "ndjson" in content_type or "jsonl" in content_type
        self.errors: list[dict[str, Any]] = []
        parts: list[bytes] | list[msgspec.Raw]
        if self.ndjson:
            parts = [ln for ln in body.split(b"\n") if ln.strip()]
        else:
            try:
                parts = _elements.decode(body)
            except msgspec.ValidationError as exc:
                raise InvalidInput(
                    "the batch is not a list of reports", details=[_validation_detail(str(exc))]
                ) from exc
            except msgspec.DecodeError as exc:
                raise MalformedBody(
                    "the body is not valid JSON", details=[{"reason": str(exc)}]
                ) from exc
        if len(parts) > limit:
            raise _too_many(len(parts), limit)
        self.parts = parts

    def __len__(self) -> int:
        return len(self.parts)

    def decode(self, start: int, stop: int) -> list[ReportIn]:
        """Reports start..stop; what is wrong with them is kept for `check`."""
        items: list[ReportIn] = []
        errors = self.errors
        for i in range(start, min(stop, len(self.parts))):
            if len(errors) >= _MAX_DETAILS:
                break
            try:
                items.append(_one.decode(self.parts[i]))
            except msgspec.ValidationError as exc:
                errors.append(_validation_detail(str(exc), index=i))
            except msgspec.DecodeError as exc:
                errors.append({"index": i, "field": None, "reason": f"not valid JSON: {exc}"})
        return items

    def check(self) -> None:
        """Refuse the batch if any report decoded so far was not one."""
        if not self.errors:
            return
        if self.ndjson:
            message = f"{len(self.errors)} line(s) of the batch are not reports"
        else:
            message = "the batch is not a list of reports"
        raise InvalidInput(message, details=self.errors)


def _too_many(n: int, limit: int) -> InvalidInput:
    return InvalidInput(
        f"a batch holds at most {limit} reports; this one has {n}",
        details=[field_error("$", "too many reports", count=n, limit=limit)],
    )


def _validation_detail(message: str, index: int | None = None) -> dict[str, Any]:
    # msgspec says "Expected `str`, got `int` - at `$[3].service`"
    reason, _, where = message.partition(" - at `")
    path = where.rstrip("`") if where else "$"
    if index is not None:
        path = f"$[{index}]" + path[1:]
    field = path.rsplit(".", 1)[-1] if "." in path else None
    if field is None and "required field" in reason:
        field = reason.split("`")[1] if "`" in reason else None
    if field is None and "unknown field" in reason:
        field = reason.split("`")[1] if "`" in reason else None
    detail: dict[str, Any] = {"field": field, "path": path, "reason": reason}
    if index is not None:
        detail["index"] = index
    return detail


class ReportValidator:
    """Checks reports against the catalog and the map, and turns them into columns."""

    def __init__(
        self,
        catalog: Catalog,
        places: Places,
        clock: Clock,
        *,
        future_skew: timedelta = timedelta(minutes=5),
        max_age: timedelta = timedelta(days=400),
        networks: NetworkDirectory | None = None,
    ) -> None:
        self.catalog = catalog
        self.networks = networks or NetworkDirectory()
        self.places = places
        self.clock = clock
        self.future_skew = future_skew
        self.max_age = max_age
        self._whats: dict[tuple[str, str], list[_Problem]] = {}
        self._ipv4_networks: dict[str, int] = {}
        self._other_networks: dict[str, int | None] = {}
        self._client_networks: dict[str, int] = {}
        self._wheres: dict[tuple[Any, ...], tuple[list[_Problem], str]] = {}

    def to_columns(self, items: list[ReportIn], *, client_ip: str, trusted: bool) -> ReportColumns:
        """`trusted` (an import token) allows own timestamps and own client addresses."""
        return make_columns(*self._checked(items, client_ip, trusted))

    def to_row(self, item: ReportIn, *, client_ip: str, trusted: bool) -> ReportRow:
        """One report checked as `to_columns` checks it, the columns left to the step that
        takes requests together."""
        # a datetime only to check a time the report brings: reading the clock as seconds is
        # a fifth of the cost
        now = self.clock.now() if item.ts is not None else None
        errors, region, network = self._check(item, 0, now, trusted, True)
        if errors:
            raise _refused(errors, single=True)
        if not network and client_ip:
            network = self._client_network(client_ip)
        seconds = item.ts.timestamp() if item.ts is not None else self.clock.seconds()
        address = item.ip if item.ip is not None else client_ip
        return ReportRow(
            int(seconds * 1000),
            item.service,
            item.problem,
            region,
            item.reporter,
            network,
            self.networks.label(address) if address else "",
        )

    def _checked(
        self, items: list[ReportIn], client_ip: str, trusted: bool
    ) -> tuple[list[int], list[str], list[str], list[str], list[str], list[int], list[str]]:
        """The reports' fields as lists, or InvalidInput naming every bad field."""
        now = self.clock.now()
        now_ms = int(now.timestamp() * 1000)
        errors: list[dict[str, Any]] = []
        default_net = self._client_network(client_ip) if client_ip else 0
        label = self.networks.label
        default_label = label(client_ip) if client_ip else ""
        single = len(items) == 1
        # plain lists first, arrays once at the end: per-element numpy stores cost more
        ts: list[int] = []
        services: list[str] = []
        problems: list[str] = []
        regions: list[str] = []
        reporters: list[str] = []
        nets: list[int] = []
        labels: list[str] = []
        for i, item in enumerate(items):
            bad, region, network = self._check(item, i, now, trusted, single)
            if bad:
                errors.extend(bad)
                if len(errors) >= _MAX_DETAILS:
                    break
                continue
            if errors:
                continue  # the batch is refused; only the errors still matter
            ts.append(int(item.ts.timestamp() * 1000) if item.ts is not None else now_ms)
            services.append(item.service)
            problems.append(item.problem)
            regions.append(region)
            reporters.append(item.reporter)
            nets.append(network or default_net)
            labels.append(label(item.ip) if item.ip is not None else default_label)
        if errors:
            raise _refused(errors, single)
        return ts, services, problems, regions, reporters, nets, labels

    def _check(
        self, item: ReportIn, i: int, now: datetime | None, trusted: bool, single: bool
    ) -> tuple[list[dict[str, Any]], str, int]:
        """The report's errors; when it has none, its region and the hash of the network it
        names (0 when it names none). `now` is needed only for a report with its own time."""
        what = self._what(item.service, item.problem)
        where, region = self._where(item.country, item.city, item.lat, item.lon)
        if (
            not what
            and not where
            and item.ts is None
            and item.ip is None
            and 0 < len(item.reporter) <= 200
        ):
            return [], region, 0  # as nearly every report is: nothing more to look at
        found: list[_Problem] = list(what)
        if not item.reporter or len(item.reporter) > 200:
            found.append(("reporter", "the reporter key must have 1 to 200 characters", {}))
        found.extend(where)
        if item.ts is not None:
            if now is None:
                now = self.clock.now()
            if not trusted:
                found.append(("ts", _OWN_TIME, {}))
            elif item.ts.tzinfo is None:
                found.append(("ts", "the time needs a time zone, e.g. 2021-10-04T15:45:00Z", {}))
            elif item.ts > now + self.future_skew:
                found.append(("ts", "the time is in the future", {"value": item.ts.isoformat()}))
            elif item.ts < now - self.max_age:
                found.append(("ts", "the time is too long ago", {"value": item.ts.isoformat()}))
        network: int | None = 0
        if item.ip is not None:
            if not trusted:
                found.append(("ip", _OWN_ADDRESS, {}))
            else:
                network = self._network(item.ip)
                if network is None:
                    found.append(("ip", "not an IP address", {"value": item.ip}))
        if not found:
            return [], region, network or 0
        at = {} if single else {"index": i}
        errors = [field_error(field, reason, **extra, **at) for field, reason, extra in found]
        return errors, "", 0

    def _client_network(self, address: str) -> int:
        # single reports come one a request: the hash of the client's network is remembered
        known = self._client_networks.get(address)
        if known is None:
            network = key_hash(network_of(address))
            known = _remember(self._client_networks, address, network, _CLIENT_MEMO_SIZE)
        return known

    def _network(self, address: str) -> int | None:
        """The hash of the address's network; None when it is not an address."""
        prefix = _ipv4_prefix(address)
        if prefix is not None:
            # by the /24, not the address: a batch has far fewer networks than addresses
            known = self._ipv4_networks.get(prefix)
            if known is None:
                known = _remember(self._ipv4_networks, prefix, key_hash(f"{prefix}.0/24"))
            return known
        if address in self._other_networks:
            return self._other_networks[address]
        network = key_hash(network_of(address)) if valid_address(address) else None
        return _remember(self._other_networks, address, network)

    def _what(self, service_id: str, problem: str) -> list[_Problem]:
        # a batch names few services and places many times over: each is checked once
        key = (service_id, problem)
        known = self._whats.get(key)
        if known is not None:
            return known
        found: list[_Problem] = []
        service = self.catalog.services.get(service_id)
        if service is None:
            found.append(("service", f"unknown service {service_id!r}", {"value": service_id}))
        elif problem not in service.problems:
            found.append(
                (
                    "problem",
                    f"{problem!r} is not a problem type of {service_id}",
                    {"value": problem, "allowed": list(service.problems)},
                )
            )
        return _remember(self._whats, key, found)

    def _where(
        self, country: str | None, city: str | None, lat: float | None, lon: float | None
    ) -> tuple[list[_Problem], str]:
        key = (country, city, lat, lon)
        known = self._wheres.get(key)
        if known is not None:
            return known
        found: list[_Problem] = []
        if country is not None:
            if not self.places.country_exists(country):
                found.append(
                    (
                        "country",
                        f"{country!r} is not an ISO 3166 country code",
                        {"value": country},
                    )
                )
        elif city is not None:
            found.append(("country", "a city needs its country", {}))
        if (lat is None) != (lon is None):
            missing = "lat" if lat is None else "lon"
            found.append((missing, "latitude and longitude go together", {}))
        elif lat is not None and lon is not None:
            if not (math.isfinite(lat) and -90 <= lat <= 90):
                found.append(("lat", "latitude must be between -90 and 90", {"value": lat}))
            if not (math.isfinite(lon) and -180 <= lon <= 180):
                found.append(("lon", "longitude must be between -180 and 180", {"value": lon}))
        elif country is None:
            found.append(
                ("country", "a report needs a place: a country code, or latitude and longitude", {})
            )
        return _remember(self._wheres, key, (found, "" if found else self._region(*key)))

    def _region(
        self, country: str | None, city: str | None, lat: float | None, lon: float | None
    ) -> str:
        if country is not None:
            found = self.places.city(country, city) if city is not None else None
            if found is not None:
                return found.region  # a city not known is counted in its country
            if lat is not None and lon is not None:
                nearest = self.places.nearest(lat, lon)
                if nearest.country == country:
                    return nearest.region
            return country
        assert lat is not None and lon is not None
        return self.places.nearest(lat, lon).region


# what a report may carry only with an import token: a request without one is forbidden it
_OWN_TIME = "only imports (with an import token) may carry their own time"
_OWN_ADDRESS = "only imports (with an import token) may name the client address"


def _refused(errors: list[dict[str, Any]], single: bool) -> InvalidInput | Forbidden:
    forbidden = [e for e in errors if e["reason"] in (_OWN_TIME, _OWN_ADDRESS)]
    if forbidden:
        return Forbidden(
            f"{forbidden[0]['reason']}; nothing was stored", details=forbidden[:_MAX_DETAILS]
        )
    # the reasons are whole clauses ("the time is in the future"), said after a colon
    if single:
        message = f"the report was not stored: {errors[0]['reason']}"
    else:
        message = f"{len(errors)} problem(s) in the batch: nothing was stored"
    return InvalidInput(message, details=errors[:_MAX_DETAILS])


def _remember(memo: dict[_K, _V], key: _K, value: _V, size: int = _MEMO_SIZE) -> _V:
    if len(memo) >= size:
        memo.clear()  # a flood of distinct values must not grow it without end
    memo[key] = value
    return value
