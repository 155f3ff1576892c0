"""`rasd services`: the catalog as a table, in English or Arabic."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from rasd.catalog.catalog import Catalog
from rasd.catalog.errors import CatalogError
from rasd.catalog.loader import load_catalog
from rasd.cli.options import CatalogFiles, settings_from

if TYPE_CHECKING:
    from rich.table import Table

_HEADINGS = {
    "en": {
        "title": "{count} services",
        "id": "id",
        "name": "name",
        "owner": "owner",
        "category": "category",
        "countries": "countries",
        "worldwide": "worldwide",
    },
    "ar": {
        "title": "{count} خدمة",
        "id": "المعرّف",
        "name": "الاسم",
        "owner": "المالك",
        "category": "الفئة",
        "countries": "الدول",
        "worldwide": "حول العالم",
    },
}


class Language(StrEnum):
    en = "en"
    ar = "ar"


def services_table(catalog: Catalog, lang: str) -> Table:
    """A rich Table of the catalog: id, name, owner, category, countries."""
    from rich.table import Table

    words = _HEADINGS.get(lang, _HEADINGS["en"])
    table = Table(title=words["title"].format(count=len(catalog)))
    for column in ("id", "name", "owner", "category", "countries"):
        table.add_column(words[column], no_wrap=column == "id")
    for service in catalog:
        table.add_row(
            service.id,
            service.display_name(lang),
            catalog.owner_name(service.owner, lang),
            catalog.category_name(service.category, lang),
            " ".join(service.countries) or words["worldwide"],
        )
    return table


def services(
    lang: Annotated[Language, typer.Option("--lang", help="Language of names.")] = Language.en,
    catalog: CatalogFiles = None,
) -> None:
    """List the services Rasd watches."""
    from rich.console import Console

    try:
        loaded = load_catalog(settings_from(catalog_files=catalog).catalog_files)
    except CatalogError as exc:
        Console(stderr=True).print(str(exc), markup=False, highlight=False)
        raise typer.Exit(code=2) from exc
    Console().print(services_table(loaded, lang.value))
