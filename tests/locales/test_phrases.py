"""The domain's phrases said from the catalogs alone: a language a translator adds says the
events that were kept before it came, with no change to the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rasd import locale
from rasd.catalog import default_catalog
from rasd.correlate.titles import log_line, outage_title, regional_title
from rasd.locale import words
from rasd.locale.findings import said_event, shown_languages
from rasd.locale.phrases import CatalogNames, codes, say
from rasd.phrase import Phrase
from rasd.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
FRENCH = [
    ("{owner}: {names}", "{owner} : {names}"),
    ("Network outage in {country}: {names}", "Panne de réseau en {country} : {names}"),
    ("Outage seen: {names}", "Panne constatée : {names}"),
]


def _french(tmp_path: Path) -> Path:
    """docs/translating.md's steps, on a copy of the catalogs: init, translate, compile."""
    folder = tmp_path / "locale"
    shutil.copytree(locale.LOCALE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.mo"))
    init = ["init", "-i", str(folder / "rasd.pot"), "-d", str(folder), "-D", "rasd", "-l", "fr"]
    compile_ = ["compile", "-d", str(folder), "-D", "rasd", "-l", "fr"]
    _pybabel(*init)
    po = folder / "fr" / "LC_MESSAGES" / "rasd.po"
    text = po.read_text(encoding="utf-8")
    for english, french in FRENCH:
        entry = f'msgid "{english}"\nmsgstr ""\n'
        assert entry in text
        text = text.replace(entry, f'msgid "{english}"\nmsgstr "{french}"\n')
    po.write_text(text, encoding="utf-8")
    _pybabel(*compile_)
    return folder


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", *args]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def _event() -> dict[str, object]:
    services = ["facebook", "instagram"]
    return {
        "id": "meta-20211004T1540Z",
        "kind": "outage",
        "state": "active",
        "level": 2,
        "start": T0.isoformat(),
        "end": None,
        "primary": services,
        "spillover": [],
        "incidents": {},
        "countries": [],
        "owner": "meta",
        "title": outage_title("meta", services, 5).to_dict(),
        "log": [
            {
                "at": T0.isoformat(),
                "kind": "opened",
                "services": services,
                "text": log_line("opened", services).to_dict(),
            }
        ],
        "cause_hints": [],
        "cause": None,
    }


def test_a_language_a_translator_adds_says_kept_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient, runtime: Runtime
) -> None:
    folder = _french(tmp_path)
    monkeypatch.setattr(locale, "LOCALE_DIR", folder)
    names = CatalogNames(default_catalog())
    in_french = words("fr", folder)
    regional = regional_title("EG", ["vodafone-eg", "orange-eg"], 5)
    assert (
        say(regional, in_french, names)
        == "Panne de réseau en Égypte : Vodafone Egypt, Orange Egypt"
    )

    event = _event()
    shown = said_event(event, names, shown_languages("fr"))
    assert shown["title"] == {
        "en": "Meta: Facebook, Instagram",
        "ar": "ميتا: فيسبوك، إنستغرام",
        "fr": "Meta : Facebook, Instagram",
    }
    assert shown["log"][0]["text"]["fr"] == "Panne constatée : Facebook, Instagram"

    ms = int(T0.timestamp() * 1000)
    row = {"id": event["id"], "kind": "outage", "state": "active", "start_ms": ms}
    runtime.store.upsert_events([{**row, "end_ms": None, "updated_ms": ms, "data": event}])
    page = client.get(f"/events/{event['id']}", headers={"accept-language": "fr"})
    assert page.status_code == 200
    assert "Meta : Facebook, Instagram" in page.text
    assert "Panne constatée : Facebook, Instagram" in page.text


def test_every_code_the_domain_hands_out_has_words() -> None:
    # what correlation writes into a kept event, and what says it
    made = {f"log.{kind}" for kind in ("opened", "cause", "cause_ended")}
    made |= {"title.outage", "title.regional", "title.network", "causes", "cause.label"}
    assert made <= codes()
    unknown = Phrase("title.exploded", {"services": ("facebook",)})
    # a code newer than the process that reads it is named, never an error
    assert say(unknown, words("en"), CatalogNames(default_catalog())) == "title.exploded"
