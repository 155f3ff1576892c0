"""What the catalog holds: services, the problems people report about them, their owners."""

from __future__ import annotations

from dataclasses import dataclass

ENDPOINT_KINDS = ("dns", "http", "tcp")
# How a service's official status page is read (rasd.sources.status): "http" is a plain check
# of the page, for those that publish nothing a program can read.
STATUS_KINDS = ("statuspage", "incidentio", "instatus", "google", "slack", "feed", "http")

# A `dns_provider` nobody has checked: never counts as infrastructure two services share.
UNKNOWN_PROVIDER = "unknown"


def _in_language(names: dict[str, str], lang: str) -> str:
    return names.get(lang) or names.get("en") or next(iter(names.values()), "")


@dataclass(frozen=True, slots=True)
class ProblemType:
    id: str
    name: dict[str, str]

    def display_name(self, lang: str) -> str:
        return _in_language(self.name, lang)


@dataclass(frozen=True, slots=True)
class Owner:
    """A company behind services. `prefixes` are the address blocks its networks (`asns`)
    announce, `nameserver_prefixes` those holding its authoritative name servers (also among
    `prefixes`): the routing source watches them, since a withdrawal names no AS."""

    id: str
    name: dict[str, str]
    asns: tuple[int, ...] = ()
    prefixes: tuple[str, ...] = ()
    nameserver_prefixes: tuple[str, ...] = ()

    def display_name(self, lang: str) -> str:
        return _in_language(self.name, lang)


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: str  # "dns" (a hostname), "http" (a URL) or "tcp" ("host:port")
    target: str
    expect_text: str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    name: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    ambiguous_aliases: tuple[str, ...]
    owner: str
    category: str
    countries: tuple[str, ...]
    domains: tuple[str, ...]
    asns: tuple[int, ...]
    dns_provider: str
    cdn: str | None
    cloud: str | None
    problems: tuple[str, ...]
    popularity: float
    endpoints: tuple[Endpoint, ...]
    status_url: str | None
    # the page's kind, the document a program reads (when not where the kind puts it), and
    # the page's components that are this service (none: the whole page is)
    status_kind: str | None = None
    status_feed: str | None = None
    status_components: tuple[str, ...] = ()

    # The dict fields make the generated hash fail; a service is known by its id anyway.
    def __hash__(self) -> int:
        return hash(self.id)

    def display_name(self, lang: str) -> str:
        """The name in `lang`, else the English one."""
        return _in_language(self.name, lang)

    @property
    def all_aliases(self) -> tuple[str, ...]:
        """Every safe alias, all languages together, in catalog order, without repeats."""
        seen: dict[str, None] = {}
        for forms in self.aliases.values():
            for form in forms:
                seen.setdefault(form, None)
        return tuple(seen)

    @property
    def worldwide(self) -> bool:
        return not self.countries
