"""Reports as clients send them: decoded, checked field by field, placed, and put in columns.

A batch is all or nothing: one bad report rejects the request, naming each bad field with
its index, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from datetime import datetime, timedelta
from typing import Any

import msgspec
import numpy as np

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.errors import InvalidInput, MalformedBody, field_error
from rasd.ingest.places import Places
from rasd.signals.reports import ReportColumns

_MAX_DETAILS = 50


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
_many = msgspec.json.Decoder(list[ReportIn])


def key_hash(text: str) -> int:
    """64-bit hash of a reporter key or network; raw keys are never stored."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _ipv4_prefix(address: str) -> str | None:
    """`a.b.c` for a dotted-quad IPv4 address, without the cost of the ipaddress module."""
    parts = address.split(".")
    if len(parts) != 4:
        return None
    for part in parts:
        if (
            not (part.isascii() and part.isdigit())
            or len(part) > 3
            or int(part) > 255
            or (part[0] == "0" and part != "0")
        ):
            return None
    return ".".join(parts[:3])


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
    ndjson = "ndjson" in content_type or "jsonl" in content_type
    if ndjson:
        lines = [ln for ln in body.split(b"\n") if ln.strip()]
        if len(lines) > limit:
            raise _too_many(len(lines), limit)
        items: list[ReportIn] = []
        errors: list[dict[str, Any]] = []
        for i, line in enumerate(lines):
            try:
                items.append(_one.decode(line))
            except msgspec.ValidationError as exc:
                errors.append(_validation_detail(str(exc), index=i))
            except msgspec.DecodeError as exc:
                errors.append({"index": i, "field": None, "reason": f"not valid JSON: {exc}"})
            if len(errors) >= _MAX_DETAILS:
                break
        if errors:
            raise InvalidInput(
                f"{len(errors)} line(s) of the batch are not reports", details=errors
            )
        return items
    try:
        items = _many.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "the batch is not a list of reports", details=[_validation_detail(str(exc))]
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("the body is not valid JSON", details=[{"reason": str(exc)}]) from exc
    if len(items) > limit:
        raise _too_many(len(items), limit)
    return items


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
    ) -> None:
        self.catalog = catalog
        self.places = places
        self.clock = clock
        self.future_skew = future_skew
        self.max_age = max_age

    def to_columns(self, items: list[ReportIn], *, client_ip: str, trusted: bool) -> ReportColumns:
        """`trusted` (an import token) allows own timestamps and own client addresses."""
        now = self.clock.now()
        now_ms = int(now.timestamp() * 1000)
        errors: list[dict[str, Any]] = []
        services: dict[str, int] = {}
        problems: dict[str, int] = {}
        places: dict[str, int] = {}
        networks: dict[str, int] = {}
        n = len(items)
        ts = np.empty(n, np.int64)
        svc = np.empty(n, np.int32)
        prob = np.empty(n, np.int16)
        place = np.empty(n, np.int32)
        reporter = np.empty(n, np.uint64)
        network = np.empty(n, np.uint64)
        default_net = key_hash(network_of(client_ip)) if client_ip else 0
        single = n == 1
        for i, item in enumerate(items):
            bad = self._check(item, i, now, trusted, single)
            if bad:
                errors.extend(bad)
                if len(errors) >= _MAX_DETAILS:
                    break
                continue
            region = self._region(item)
            ts[i] = int(item.ts.timestamp() * 1000) if item.ts is not None else now_ms
            svc[i] = services.setdefault(item.service, len(services))
            prob[i] = problems.setdefault(item.problem, len(problems))
            place[i] = places.setdefault(region, len(places))
            reporter[i] = key_hash(item.reporter)
            if item.ip:
                net = networks.get(item.ip)
                if net is None:
                    net = networks[item.ip] = key_hash(network_of(item.ip))
                network[i] = net
            else:
                network[i] = default_net
        if errors:
            what = "the report has" if single else f"{len(errors)} problem(s) in the batch:"
            raise InvalidInput(
                f"{what} {errors[0]['reason']}" if single else f"{what} nothing was stored",
                details=errors[:_MAX_DETAILS],
            )
        return ReportColumns(
            ts_ms=ts,
            service=svc,
            problem=prob,
            place=place,
            reporter=reporter,
            network=network,
            services=tuple(services),
            problems=tuple(problems),
            places=tuple(places),
        )

    def _check(
        self, item: ReportIn, i: int, now: datetime, trusted: bool, single: bool
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def bad(field: str, reason: str, **extra: Any) -> None:
            if not single:
                extra["index"] = i
            out.append(field_error(field, reason, **extra))

        service = self.catalog.services.get(item.service)
        if service is None:
            bad("service", f"unknown service {item.service!r}", value=item.service)
        elif item.problem not in service.problems:
            bad(
                "problem",
                f"{item.problem!r} is not a problem type of {item.service}",
                value=item.problem,
                allowed=list(service.problems),
            )
        if not item.reporter or len(item.reporter) > 200:
            bad("reporter", "the reporter key must have 1 to 200 characters")
        if item.country is not None:
            if not self.places.country_exists(item.country):
                bad(
                    "country",
                    f"{item.country!r} is not an ISO 3166 country code",
                    value=item.country,
                )
            elif item.city is not None and self.places.city(item.country, item.city) is None:
                bad("city", f"no city {item.city!r} is known in {item.country}", value=item.city)
        elif item.city is not None:
            bad("country", "a city needs its country")
        if (item.lat is None) != (item.lon is None):
            bad("lat" if item.lat is None else "lon", "latitude and longitude go together")
        elif item.lat is not None and item.lon is not None:
            if not (math.isfinite(item.lat) and -90 <= item.lat <= 90):
                bad("lat", "latitude must be between -90 and 90", value=item.lat)
            if not (math.isfinite(item.lon) and -180 <= item.lon <= 180):
                bad("lon", "longitude must be between -180 and 180", value=item.lon)
        elif item.country is None:
            bad("country", "a report needs a place: a country code, or latitude and longitude")
        if item.ts is not None:
            if not trusted:
                bad("ts", "only imports (with an import token) may carry their own time")
            elif item.ts.tzinfo is None:
                bad("ts", "the time needs a time zone, e.g. 2021-10-04T15:45:00Z")
            elif item.ts > now + self.future_skew:
                bad("ts", "the time is in the future", value=item.ts.isoformat())
            elif item.ts < now - self.max_age:
                bad("ts", "the time is too long ago", value=item.ts.isoformat())
        if item.ip is not None:
            if not trusted:
                bad("ip", "only imports (with an import token) may name the client address")
            elif not valid_address(item.ip):
                bad("ip", "not an IP address", value=item.ip)
        return out

    def _region(self, item: ReportIn) -> str:
        if item.country is not None:
            if item.city is not None:
                city = self.places.city(item.country, item.city)
                assert city is not None  # checked before
                return city.region
            if item.lat is not None and item.lon is not None:
                nearest = self.places.nearest(item.lat, item.lon)
                if nearest.country == item.country:
                    return nearest.region
            return item.country
        assert item.lat is not None and item.lon is not None
        return self.places.nearest(item.lat, item.lon).region
