"""Every catalog service with an Arabic name has spellings read in public pages in the list
(tests/signals/text/data/arabic_spellings.tsv), or is named here with the reason it has none."""

from __future__ import annotations

from pathlib import Path

from rasd.catalog import default_catalog

_DATA = Path(__file__).parent / "data" / "arabic_spellings.tsv"

# Looked for in Arabic news and posts and not found written in Arabic letters: each is
# written in Latin letters where Arabic pages name it at all.
WITHOUT_SPELLINGS = {
    # The Dutch cable operator: Arabic pages for people in the Netherlands write "Ziggo".
    "ziggo": "no Arabic-letter spelling found; pages write Ziggo",
    # T-Mobile Netherlands took the name Odido in 2023; Arabic pages name neither in Arabic.
    "odido": "no Arabic-letter spelling found; renamed in 2023",
    # Arabic news names the company, Charter (تشارتر), not the Spectrum brand the catalog
    # lists; "تشارتر" alone is also the loanword for a charter flight.
    "spectrum": "only the company's name, Charter, is written in Arabic",
}


def _spelled() -> set[str]:
    services = set()
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            services.add(line.split("\t")[0])
    return services


def _named_in_arabic() -> set[str]:
    return {s.id for s in default_catalog() if s.name.get("ar")}


def test_every_service_with_an_arabic_name_has_spellings_from_pages() -> None:
    missing = _named_in_arabic() - _spelled() - set(WITHOUT_SPELLINGS)
    assert missing == set(), sorted(missing)


def test_the_exceptions_are_services_that_still_have_none() -> None:
    named = _named_in_arabic()
    assert set(WITHOUT_SPELLINGS) <= named
    # Once a spelling is read for one of them, it leaves this list.
    assert set(WITHOUT_SPELLINGS) & _spelled() == set()
    assert all(reason for reason in WITHOUT_SPELLINGS.values())
