"""Checks for each key a catalog entry may give; each returns the value in its final type."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pycountry

from rasd.catalog.folding import fold
from rasd.catalog.model import ENDPOINT_KINDS, STATUS_KINDS, Endpoint

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?$")
_MAX_SLUG = 64
_MAX_TEXT = 200

# Reserved, private and documentation ranges (RFC 5398, 6996, 7300): never a real network.
_RESERVED_ASNS = (
    (0, 0),
    (23456, 23456),
    (64496, 131071),
    (4200000000, 4294967295),
)


class FieldInvalid(Exception):
    """A key's value is wrong; `keys` leads from the key to the faulty part ("ar", ...)."""

    def __init__(self, reason: str, keys: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.keys = keys


def _type_name(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


def _string(value: object, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise FieldInvalid(f"expected {what}, got {_type_name(value)}")
    text = value.strip()
    if not text:
        raise FieldInvalid("must not be empty")
    if len(text) > _MAX_TEXT:
        raise FieldInvalid(f"longer than {_MAX_TEXT} characters")
    return text


def _array(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise FieldInvalid(f"expected an array, got {_type_name(value)}")
    return value


def _no_repeats(items: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            raise FieldInvalid(f"{what} {item!r} is given twice")
        seen.add(item)


def slug(value: object) -> str:
    if not isinstance(value, str):
        raise FieldInvalid(f"expected a string, got {_type_name(value)}")
    if not SLUG.match(value) or len(value) > _MAX_SLUG:
        raise FieldInvalid(
            f"{value!r} is not a valid id: lower-case letters, digits and '-', "
            "starting with a letter or digit"
        )
    return value


def names(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise FieldInvalid(f"expected a table of names by language, got {_type_name(value)}")
    result: dict[str, str] = {}
    for lang, text in value.items():
        if not _LANGUAGE.match(lang):
            raise FieldInvalid(f"{lang!r} is not a language code like 'en' or 'ar'", (lang,))
        try:
            result[lang] = _string(text)
        except FieldInvalid as exc:
            raise FieldInvalid(f"name in {lang!r}: {exc.reason}", (lang,)) from exc
    return result


def _alias(value: object) -> str:
    text = _string(value)
    if not fold(text):
        raise FieldInvalid(f"alias {text!r} has no letters or digits")
    return text


def aliases(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise FieldInvalid(f"expected a table of alias arrays by language, got {_type_name(value)}")
    result: dict[str, tuple[str, ...]] = {}
    for lang, forms in value.items():
        if not _LANGUAGE.match(lang):
            raise FieldInvalid(f"{lang!r} is not a language code like 'en' or 'ar'", (lang,))
        try:
            items = [_alias(form) for form in _array(forms)]
            _no_repeats(items, "alias")
        except FieldInvalid as exc:
            raise FieldInvalid(f"aliases in {lang!r}: {exc.reason}", (lang,)) from exc
        result[lang] = tuple(items)
    return result


def alias_list(value: object) -> tuple[str, ...]:
    items = [_alias(form) for form in _array(value)]
    _no_repeats(items, "alias")
    return tuple(items)


def countries(value: object) -> tuple[str, ...]:
    codes: list[str] = []
    for item in _array(value):
        code = _string(item, "a country code")
        if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
            raise FieldInvalid(f"{code!r} is not an ISO 3166 alpha-2 country code like 'EG'")
        codes.append(code)
    _no_repeats(codes, "country")
    return tuple(codes)


def hostname(value: object) -> str:
    text = _string(value, "a host name")
    if not _HOSTNAME.match(text):
        raise FieldInvalid(f"{text!r} is not a lower-case host name like 'example.com'")
    return text


def domains(value: object) -> tuple[str, ...]:
    items = [hostname(item) for item in _array(value)]
    _no_repeats(items, "domain")
    return tuple(items)


def asns(value: object) -> tuple[int, ...]:
    numbers: list[int] = []
    for item in _array(value):
        if not isinstance(item, int) or isinstance(item, bool):
            raise FieldInvalid(f"expected AS numbers as integers, got {_type_name(item)}")
        if any(low <= item <= high for low, high in _RESERVED_ASNS) or item > 4294967295:
            raise FieldInvalid(f"AS{item} is reserved or private, not a public network")
        numbers.append(item)
    _no_repeats(numbers, "AS number")
    return tuple(numbers)


def slug_list(value: object) -> tuple[str, ...]:
    items = [slug(item) for item in _array(value)]
    if not items:
        raise FieldInvalid("must list at least one")
    _no_repeats(items, "id")
    return tuple(items)


def popularity(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise FieldInvalid(f"expected a number, got {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise FieldInvalid(f"{value!r} is not a finite number >= 0")
    return number


def flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise FieldInvalid(f"expected true or false, got {_type_name(value)}")
    return value


def _host_or_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(_HOSTNAME.match(host))
    return True


def url(value: object) -> str:
    text = _string(value, "a URL")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises on a port that is not a number
    except ValueError as exc:
        raise FieldInvalid(f"{text!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host or not _host_or_address(host):
        raise FieldInvalid(
            f"{text!r} is not an http(s) URL with a host, like 'https://example.com/'"
        )
    if any(ch.isspace() for ch in text):
        raise FieldInvalid(f"{text!r} contains spaces")
    return text


def _tcp_target(value: object) -> str:
    text = _string(value, "host:port")
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not _host_or_address(host):
        raise FieldInvalid(f"{text!r} is not host:port, like 'example.com:443'")
    return text


_ENDPOINT_KEYS = ("kind", "target", "expect_text")


def endpoints(value: object) -> tuple[Endpoint, ...]:
    result: list[Endpoint] = []
    for position, item in enumerate(_array(value), start=1):
        where = f"endpoint {position}"
        if not isinstance(item, dict):
            raise FieldInvalid(f"{where}: expected a table like {{kind = ..., target = ...}}")
        unknown = [key for key in item if key not in _ENDPOINT_KEYS]
        if unknown:
            raise FieldInvalid(
                f"{where}: unknown key {unknown[0]!r} (known: kind, target, expect_text)"
            )
        kind = item.get("kind")
        if kind not in ENDPOINT_KINDS:
            raise FieldInvalid(f"{where}: kind must be one of dns, http, tcp, got {kind!r}")
        if "target" not in item:
            raise FieldInvalid(f"{where}: 'target' is missing")
        checks: dict[str, Callable[[object], str]] = {
            "dns": hostname,
            "http": url,
            "tcp": _tcp_target,
        }
        try:
            target = checks[str(kind)](item["target"])
            expect = _string(item["expect_text"]) if "expect_text" in item else None
        except FieldInvalid as exc:
            raise FieldInvalid(f"{where}: {exc.reason}") from exc
        result.append(Endpoint(kind=str(kind), target=target, expect_text=expect))
    _no_repeats([(e.kind, e.target) for e in result], "endpoint")
    return tuple(result)


def status_kind(value: object) -> str:
    if value not in STATUS_KINDS:
        raise FieldInvalid(f"must be one of {', '.join(STATUS_KINDS)}, got {value!r}")
    return str(value)


def component_names(value: object) -> tuple[str, ...]:
    items = [_string(item, "a component name") for item in _array(value)]
    _no_repeats(items, "component")
    return tuple(items)


SERVICE_FIELDS: dict[str, Callable[[object], Any]] = {
    "id": slug,
    "name": names,
    "aliases": aliases,
    "ambiguous_aliases": alias_list,
    "owner": slug,
    "category": slug,
    "countries": countries,
    "domains": domains,
    "asns": asns,
    "dns_provider": slug,
    "cdn": slug,
    "cloud": slug,
    "problems": slug_list,
    "popularity": popularity,
    "endpoints": endpoints,
    "status_url": url,
    "status_kind": status_kind,
    "status_feed": url,
    "status_components": component_names,
    "disabled": flag,
}
SERVICE_REQUIRED = ("name", "owner", "category", "dns_provider", "problems", "popularity")
# Tables whose languages merge one by one when a later file overrides them.
MERGED_BY_LANGUAGE = frozenset({"name", "aliases"})


def prefixes(value: object) -> tuple[str, ...]:
    items: list[str] = []
    for item in _array(value):
        text = _string(item, "an address prefix like '129.134.30.0/23'")
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise FieldInvalid(f"{text!r} is not an address prefix like '129.134.30.0/23'") from exc
        if "/" not in text or not network.is_global:
            raise FieldInvalid(f"{text!r} is not a public prefix written with its length")
        items.append(str(network))
    _no_repeats(items, "prefix")
    return tuple(items)


NAMED_FIELDS: dict[str, Callable[[object], Any]] = {"id": slug, "name": names}
OWNER_FIELDS: dict[str, Callable[[object], Any]] = {
    **NAMED_FIELDS,
    "asns": asns,
    "prefixes": prefixes,
    "nameserver_prefixes": prefixes,
}
