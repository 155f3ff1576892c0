"""`rasd services`: the catalog as a table, in any language with a catalog of words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rasd.catalog.catalog import Catalog
from rasd.catalog.errors import CatalogError
from rasd.catalog.loader import load_catalog
from rasd.cli.options import CatalogFiles, settings_from
from rasd.locale import N_, NC_, languages, words

if TYPE_CHECKING:
    from rich.table import Table

# the column headings, in the order shown
_COLUMNS = (
    ("id", NC_("column", "id")),
    ("name", NC_("column", "name")),
    ("owner", NC_("column", "owner")),
    ("category", NC_("column", "category")),
    ("countries", NC_("column", "countries")),
)


def _language(value: str) -> str:
    known = languages()
    if value not in known:
        raise typer.BadParameter(f"no catalog for {value!r}; known: {', '.join(known)}")
    return value


def services_table(catalog: Catalog, lang: str) -> Table:
    """A rich Table of the catalog: id, name, owner, category, countries."""
    from rich.table import Table

    _ = words(lang)
    table = Table(title=_.plural("{n} service", "{n} services", len(catalog)))
    for column, heading in _COLUMNS:
        table.add_column(_(heading), no_wrap=column == "id")
    worldwide = _(N_("worldwide"))
    for service in catalog:
        table.add_row(
            service.id,
            service.display_name(lang),
            catalog.owner_name(service.owner, lang),
            catalog.category_name(service.category, lang),
            " ".join(service.countries) or worldwide,
        )
    return table


def services(
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="Language of names and headings: any with a catalog.", callback=_language
        ),
    ] = "en",
    catalog: CatalogFiles = None,
) -> None:
    """List the services Rasd watches."""
    from rich.console import Console

    try:
        loaded = load_catalog(settings_from(catalog_files=catalog).catalog_files)
    except CatalogError as exc:
        Console(stderr=True).print(str(exc), markup=False, highlight=False)
        raise typer.Exit(code=2) from exc
    Console().print(services_table(loaded, lang))
