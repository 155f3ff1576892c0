"""The service catalog: which services Rasd watches, what they are called, what they run on."""

from rasd.catalog.catalog import Catalog
from rasd.catalog.errors import CatalogError
from rasd.catalog.loader import default_catalog, load_catalog
from rasd.catalog.model import UNKNOWN_PROVIDER, Endpoint, Owner, ProblemType, Service

__all__ = [
    "UNKNOWN_PROVIDER",
    "Catalog",
    "CatalogError",
    "Endpoint",
    "Owner",
    "ProblemType",
    "Service",
    "default_catalog",
    "load_catalog",
]
