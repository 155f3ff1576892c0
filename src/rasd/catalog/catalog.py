"""The catalog: every watched service, looked up by id, owner, or any name people write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from rasd.catalog.folding import fold
from rasd.catalog.model import Owner, ProblemType, Service
from rasd.errors import NotFound, field_error

_EXACT, _PREFIX, _SUBSTRING = 0, 1, 2
_ARTICLE = "ال"  # Arabic "the": "الواتس" is written as often as "واتس"


class Catalog:
    """Immutable; iterate it for services in catalog order."""

    __slots__ = ("services", "problem_types", "owners", "categories", "_order", "_index")

    def __init__(
        self,
        services: Iterable[Service],
        *,
        problem_types: Iterable[ProblemType] = (),
        owners: Iterable[Owner] = (),
        categories: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        by_id: dict[str, Service] = {}
        for service in services:
            if service.id in by_id:
                raise ValueError(f"service id {service.id!r} given twice")
            by_id[service.id] = service
        self.services: Mapping[str, Service] = MappingProxyType(by_id)
        self.problem_types: Mapping[str, ProblemType] = MappingProxyType(
            {p.id: p for p in problem_types}
        )
        self.owners: Mapping[str, Owner] = MappingProxyType({o.id: o for o in owners})
        self.categories: Mapping[str, dict[str, str]] = MappingProxyType(
            {key: dict(value) for key, value in (categories or {}).items()}
        )
        self._order = {service_id: n for n, service_id in enumerate(by_id)}
        self._index: list[tuple[str, str]] | None = None

    def get(self, service_id: str) -> Service:
        try:
            return self.services[service_id]
        except KeyError:
            raise NotFound(
                f"unknown service {service_id!r}",
                details=[field_error("service", "unknown service", value=service_id)],
            ) from None

    def __contains__(self, service_id: object) -> bool:
        return service_id in self.services

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services.values())

    def __len__(self) -> int:
        return len(self.services)

    def __repr__(self) -> str:
        return f"Catalog({len(self)} services)"

    def by_owner(self, owner: str) -> list[Service]:
        return [s for s in self.services.values() if s.owner == owner]

    def in_category(self, category: str) -> list[Service]:
        return [s for s in self.services.values() if s.category == category]

    def in_country(self, country: str) -> list[Service]:
        """Services that operate in `country`: the worldwide ones and those naming it."""
        return [s for s in self.services.values() if not s.countries or country in s.countries]

    def subset(self, service_ids: Iterable[str]) -> Catalog:
        """The same catalog with only these services (in catalog order); unknown ids raise."""
        wanted = {self.get(service_id).id for service_id in service_ids}
        return Catalog(
            (s for s in self.services.values() if s.id in wanted),
            problem_types=self.problem_types.values(),
            owners=self.owners.values(),
            categories=self.categories,
        )

    def problem_name(self, problem_id: str, lang: str) -> str:
        problem = self.problem_types.get(problem_id)
        if problem is None:
            raise NotFound(
                f"unknown problem type {problem_id!r}",
                details=[field_error("problem", "unknown problem type", value=problem_id)],
            )
        return problem.display_name(lang)

    def owner_name(self, owner_id: str, lang: str) -> str:
        owner = self.owners.get(owner_id)
        return owner.display_name(lang) if owner else owner_id

    def category_name(self, category_id: str, lang: str) -> str:
        names = self.categories.get(category_id)
        if not names:
            return category_id
        return names.get(lang) or names.get("en") or category_id

    def find(self, query: str, limit: int = 20) -> list[Service]:
        """Services whose id, name or alias matches `query`, in any script, best first.

        An exact name beats a prefix, which beats a substring; within one kind of match the
        more popular service comes first, then catalog order.
        """
        key = fold(query)
        if not key or limit <= 0:
            return []
        found = self._match(key)
        if not found and key.startswith(_ARTICLE) and len(key) > len(_ARTICLE) + 1:
            found = self._match(key[len(_ARTICLE) :])
        ranked = sorted(
            found.items(),
            key=lambda item: (item[1], -self.services[item[0]].popularity, self._order[item[0]]),
        )
        return [self.services[service_id] for service_id, _ in ranked[:limit]]

    def _match(self, key: str) -> dict[str, int]:
        best: dict[str, int] = {}
        for term, service_id in self._terms():
            if term == key:
                rank = _EXACT
            elif term.startswith(key):
                rank = _PREFIX
            elif key in term:
                rank = _SUBSTRING
            else:
                continue
            if rank < best.get(service_id, _SUBSTRING + 1):
                best[service_id] = rank
        return best

    def _terms(self) -> list[tuple[str, str]]:
        # Built on first search: most processes load the catalog and never search it.
        if self._index is None:
            seen: set[tuple[str, str]] = set()
            index: list[tuple[str, str]] = []
            for service in self.services.values():
                forms = [service.id, *service.name.values(), *service.ambiguous_aliases]
                for group in service.aliases.values():
                    forms.extend(group)
                for form in forms:
                    entry = (fold(form), service.id)
                    if entry[0] and entry not in seen:
                        seen.add(entry)
                        index.append(entry)
            self._index = index
        return self._index
