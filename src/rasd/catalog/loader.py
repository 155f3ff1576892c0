"""Reading catalog files: the built-in ones, then the user's, each able to change the last.

A file holds arrays of tables: `[[category]]`, `[[owner]]`, `[[problem]]`, `[[service]]`.
Among built-in files an id may appear once. A user file may repeat an id to override the keys
it gives (names and aliases merge language by language, everything else is replaced), add a
new id, or remove a service with `disabled = true`. References between tables (owner,
category, problems) and clashes between aliases are checked once every file is in.

A user file, for example:

    [[service]]                 # change one thing of a built-in service
    id = "facebook"
    popularity = 1.4
    aliases.de = ["Fratzenbuch"]

    [[service]]                 # stop watching one
    id = "workplace"
    disabled = true

    [[owner]]
    id = "acme"
    name = { en = "Acme", ar = "أكمي" }
    asns = [64500]                              # its networks, and the prefixes they announce:
    prefixes = ["198.51.100.0/24"]              # the routing source watches these
    nameserver_prefixes = ["203.0.113.0/24"]    # ... above all those of its name servers

    [[service]]                 # watch a new one
    id = "acme-chat"
    name = { en = "Acme Chat", ar = "أكمي شات" }
    owner = "acme"
    category = "messaging"
    countries = ["EG"]
    domains = ["chat.acme.example"]
    dns_provider = "unknown"
    problems = ["messages", "login"]
    popularity = 0.02
    aliases.ar = ["أكمي"]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rasd.catalog import fields
from rasd.catalog.catalog import Catalog
from rasd.catalog.errors import CatalogError
from rasd.catalog.folding import fold
from rasd.catalog.model import Endpoint, Owner, ProblemType, Service
from rasd.catalog.source import SourceFile

DATA_DIR = Path(__file__).parent / "data"
BUILTIN_FILES = (
    "categories.toml",
    "owners.toml",
    "problems.toml",
    "services-global.toml",
    "telecom-arab.toml",
    "telecom-europe.toml",
    "telecom-us.toml",
)
# Tables are read before services so a file can add an owner and use it straight away.
SECTIONS = ("category", "owner", "problem", "service")
_REQUIRED_LANGUAGES = ("en", "ar")


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a field was set; the line is looked up only when an error needs it."""

    source: SourceFile
    section: str
    index: int
    keys: tuple[str, ...]
    field: str

    @property
    def line(self) -> int | None:
        if not self.keys:
            return self.source.entry_line(self.section, self.index)
        return self.source.key_line(self.section, self.index, self.keys)

    def error(self, reason: str) -> CatalogError:
        return CatalogError(self.source.path, self.line, reason, self.field)


@dataclass(slots=True)
class _Entry:
    """One id's fields as merged so far, and where each field was last set."""

    fields: dict[str, Any]
    origins: dict[str, _Where]
    where: _Where


@dataclass(slots=True)
class _State:
    tables: dict[str, dict[str, _Entry]] = field(
        default_factory=lambda: {section: {} for section in SECTIONS}
    )

    def copy(self) -> _State:
        # Entries are replaced, never changed in place, so sharing them is safe.
        return _State({section: dict(entries) for section, entries in self.tables.items()})


def _apply_file(state: _State, source: SourceFile, *, builtin: bool) -> None:
    for key, value in source.document.items():
        if key not in SECTIONS:
            raise CatalogError(
                source.path,
                source.top_key_line(key),
                f"unknown section {key!r}: a catalog file holds "
                + ", ".join(f"[[{s}]]" for s in SECTIONS),
                key,
            )
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise CatalogError(
                source.path,
                source.top_key_line(key),
                f"{key!r} must be an array of tables: write each entry under [[{key}]]",
                key,
            )
    for section in SECTIONS:
        seen: dict[str, int | None] = {}
        for index, raw in enumerate(source.document.get(section, [])):
            _apply_entry(state, source, section, index, raw, seen, builtin=builtin)


def _apply_entry(
    state: _State,
    source: SourceFile,
    section: str,
    index: int,
    raw: dict[str, Any],
    seen: dict[str, int | None],
    *,
    builtin: bool,
) -> None:
    entry_line = source.entry_line(section, index)
    schemas = {"service": fields.SERVICE_FIELDS, "owner": fields.OWNER_FIELDS}
    schema = schemas.get(section, fields.NAMED_FIELDS)

    def fail(reason: str, keys: tuple[str, ...] = (), label: str = "") -> CatalogError:
        line = source.key_line(section, index, keys) if keys else entry_line
        return CatalogError(source.path, line, reason, label or f"{section}[{index}]")

    if "id" not in raw:
        raise fail(f"a [[{section}]] entry without 'id'")
    try:
        entry_id = fields.slug(raw["id"])
    except fields.FieldInvalid as exc:
        raise fail(f"bad id: {exc.reason}", ("id",), f"{section}[{index}].id") from exc
    label = f"{section}.{entry_id}"
    if entry_id in seen:
        raise fail(
            f"{section} {entry_id!r} is given twice in this file (first at line {seen[entry_id]})",
            (),
            label,
        )
    seen[entry_id] = entry_line

    given: dict[str, Any] = {}
    origins: dict[str, _Where] = {}
    for key, value in raw.items():
        check: Callable[[object], Any] | None = schema.get(key)
        if check is None:
            raise fail(
                f"unknown key {key!r} in {section} {entry_id!r} (known: {', '.join(schema)})",
                (key,),
                f"{label}.{key}",
            )
        try:
            given[key] = check(value)
        except fields.FieldInvalid as exc:
            raise fail(
                f"{section} {entry_id!r}, {key}: {exc.reason}", (key, *exc.keys), f"{label}.{key}"
            ) from exc
        origins[key] = _Where(source, section, index, (key,), f"{label}.{key}")
    given.pop("id")
    origins.pop("id")

    entries = state.tables[section]
    existing = entries.get(entry_id)
    disabled = given.pop("disabled", False)
    origins.pop("disabled", None)
    if disabled:
        if existing is None:
            raise fail(f"cannot disable {section} {entry_id!r}: no such {section}", (), label)
        del entries[entry_id]
        return

    if existing is not None and builtin:
        first = existing.where
        raise fail(
            f"{section} {entry_id!r} is already defined in {first.source.path.name} "
            f"line {first.line}",
            (),
            label,
        )
    if existing is None:
        required = fields.SERVICE_REQUIRED if section == "service" else ("name",)
        missing = [key for key in required if key not in given]
        if missing:
            raise fail(
                f"{section} {entry_id!r} lacks {', '.join(repr(k) for k in missing)}", (), label
            )
        merged = given
        all_origins = origins
        where = _Where(source, section, index, (), label)
    else:
        merged = dict(existing.fields)
        for key, value in given.items():
            if key in fields.MERGED_BY_LANGUAGE:
                merged[key] = {**existing.fields.get(key, {}), **value}
            else:
                merged[key] = value
        all_origins = {**existing.origins, **origins}
        where = existing.where
    absent = [lang for lang in _REQUIRED_LANGUAGES if lang not in merged["name"]]
    if absent:
        raise fail(
            f"{section} {entry_id!r} has no name in {', '.join(repr(a) for a in absent)}",
            ("name",),
            f"{label}.name",
        )
    entries[entry_id] = _Entry(merged, all_origins, where)


def _check_references(state: _State) -> None:
    known = {section: state.tables[section] for section in ("owner", "category", "problem")}
    for entry_id, entry in state.tables["service"].items():
        f = entry.fields
        if f["owner"] not in known["owner"]:
            raise entry.origins["owner"].error(
                f"service {entry_id!r}: unknown owner {f['owner']!r}; add it under [[owner]]"
            )
        if f["category"] not in known["category"]:
            raise entry.origins["category"].error(
                f"service {entry_id!r}: unknown category {f['category']!r}; "
                f"known: {', '.join(known['category'])}"
            )
        if ("status_kind" in f or "status_components" in f) and not (
            f.get("status_url") or f.get("status_feed")
        ):
            key = "status_kind" if "status_kind" in f else "status_components"
            raise entry.origins[key].error(
                f"service {entry_id!r}: {key} needs status_url or status_feed"
            )
        for problem in f["problems"]:
            if problem not in known["problem"]:
                raise entry.origins["problems"].error(
                    f"service {entry_id!r}: unknown problem type {problem!r}; "
                    f"known: {', '.join(known['problem'])}"
                )


def _check_aliases(state: _State) -> None:
    """Safe aliases must name one service; ambiguous ones may be shared, but not with safe ones."""
    claims: dict[str, tuple[str, bool, str]] = {}  # folded -> (service, ambiguous, as written)
    names: dict[tuple[str, str], str] = {}
    for entry_id, entry in state.tables["service"].items():
        f = entry.fields
        for lang, text in f["name"].items():
            other = names.setdefault((lang, fold(text)), entry_id)
            if other != entry_id:
                raise entry.origins["name"].error(
                    f"service {entry_id!r}: name {text!r} is also the {lang!r} name of {other!r}"
                )
        # folded -> (as written, the field that gave it)
        safe = {fold(a): (a, "aliases") for forms in f.get("aliases", {}).values() for a in forms}
        careful = {fold(a): (a, "ambiguous_aliases") for a in f.get("ambiguous_aliases", ())}
        for key in safe.keys() & careful.keys():
            raise entry.origins["ambiguous_aliases"].error(
                f"service {entry_id!r}: {careful[key][0]!r} is listed both as an alias "
                "and as an ambiguous alias"
            )
        # Text matchers take names as aliases too, unless they are listed as ambiguous.
        for text in f["name"].values():
            if fold(text) not in careful:
                safe.setdefault(fold(text), (text, "name"))
        for ambiguous, group in ((False, safe), (True, careful)):
            for key, (text, origin) in group.items():
                other_id, other_ambiguous, other_text = claims.setdefault(
                    key, (entry_id, ambiguous, text)
                )
                if other_id == entry_id or (ambiguous and other_ambiguous):
                    continue
                raise entry.origins[origin].error(
                    f"service {entry_id!r}: {text!r} also names {other_id!r} "
                    f"(as {other_text!r}); a name shared by services belongs in "
                    "ambiguous_aliases of each"
                )


def _endpoints(f: dict[str, Any]) -> tuple[Endpoint, ...]:
    given: tuple[Endpoint, ...] = f.get("endpoints", ())
    if given:
        return given
    domains: tuple[str, ...] = f.get("domains", ())
    if not domains:
        return ()
    return (
        *(Endpoint("dns", domain) for domain in domains),
        Endpoint("http", f"https://{domains[0]}/"),
    )


def _status_kind(f: dict[str, Any]) -> str | None:
    """A page named without its kind is checked as a plain page."""
    kind: str | None = f.get("status_kind")
    if kind is None and (f.get("status_url") or f.get("status_feed")):
        return "http"
    return kind


def _owner(owner_id: str, f: dict[str, Any]) -> Owner:
    nameservers: tuple[str, ...] = f.get("nameserver_prefixes", ())
    # the name servers' prefixes are the owner's too, whether or not they are listed twice
    announced = tuple(dict.fromkeys((*f.get("prefixes", ()), *nameservers)))
    return Owner(
        owner_id,
        dict(f["name"]),
        asns=f.get("asns", ()),
        prefixes=announced,
        nameserver_prefixes=nameservers,
    )


def _build(state: _State) -> Catalog:
    _check_references(state)
    _check_aliases(state)
    services = []
    for entry_id, entry in state.tables["service"].items():
        f = entry.fields
        services.append(
            Service(
                id=entry_id,
                name=dict(f["name"]),
                aliases=dict(f.get("aliases", {})),
                ambiguous_aliases=f.get("ambiguous_aliases", ()),
                owner=f["owner"],
                category=f["category"],
                countries=f.get("countries", ()),
                domains=f.get("domains", ()),
                asns=f.get("asns", ()),
                dns_provider=f["dns_provider"],
                cdn=f.get("cdn"),
                cloud=f.get("cloud"),
                problems=f["problems"],
                popularity=f["popularity"],
                endpoints=_endpoints(f),
                status_url=f.get("status_url"),
                status_kind=_status_kind(f),
                status_feed=f.get("status_feed"),
                status_components=f.get("status_components", ()),
            )
        )
    tables = state.tables
    return Catalog(
        services,
        problem_types=[
            ProblemType(k, dict(e.fields["name"])) for k, e in tables["problem"].items()
        ],
        owners=[_owner(k, e.fields) for k, e in tables["owner"].items()],
        categories={k: dict(e.fields["name"]) for k, e in tables["category"].items()},
    )


@cache
def _builtin_state() -> _State:
    state = _State()
    for name in BUILTIN_FILES:
        _apply_file(state, SourceFile.read(DATA_DIR / name), builtin=True)
    return state


@cache
def _builtin_catalog() -> Catalog:
    return _build(_builtin_state())


def load_catalog(extra: Sequence[Path] = ()) -> Catalog:
    """The built-in catalog, changed by each of `extra` (TOML files) in turn."""
    if not extra:
        return _builtin_catalog()
    _builtin_catalog()  # a broken built-in file is reported as such, not blamed on `extra`
    state = _builtin_state().copy()
    for path in extra:
        _apply_file(state, SourceFile.read(Path(path)), builtin=False)
    return _build(state)


@cache
def default_catalog() -> Catalog:
    return load_catalog()
