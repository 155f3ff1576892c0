"""Settings given on the command line: one way for every command, the help the settings'.

An option made with `setting` overrides the setting of that name for this run; left out, the
setting keeps its value from RASD_* variables, rasd.toml or its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rasd.settings import Settings


def setting(name: str, *flags: str, **extra: Any) -> Any:
    """A typer option for the setting `name`, with the setting's own help."""
    described = Settings.model_fields[name].description
    return typer.Option(*flags, help=described, **extra)


def settings_from(**overrides: Any) -> Settings:
    """The settings, with what the command line gave (a None is an option left out)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


StoreUrl = Annotated[str | None, setting("store_url", "--store")]
Host = Annotated[str | None, setting("host")]
Port = Annotated[int | None, setting("port")]
CatalogFiles = Annotated[list[Path] | None, setting("catalog_files", "--catalog")]
Cluster = Annotated[bool | None, setting("cluster", "--cluster/--embedded")]
Offline = Annotated[bool | None, setting("offline", "--offline/--online")]
NatsUrl = Annotated[str | None, setting("nats_url", "--nats")]
WorkerName = Annotated[str | None, setting("worker_name", "--name")]
