"""The catalogs: every message the code and templates mark is in rasd.pot and translated into
Arabic with the same fields; a new language compiled with the translators' tools is used."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from rasd import locale
from rasd.locale import terms
from rasd.web import i18n

ROOT = Path(__file__).resolve().parents[2]
POT = locale.LOCALE_DIR / "rasd.pot"
COMPLETE = ("ar",)  # languages every message must be translated into (docs/translating.md)
# as `make messages` runs it
KEYWORDS = ("plural:1,2", "plural_in:1c,2,3", "NC_:1c,2")
EXTRACT = ("extract", "-F", "babel.cfg", *(arg for k in KEYWORDS for arg in ("-k", k)))
_FIELD = re.compile(r"\{(\w*)")


def _pybabel(*args: str, cwd: Path = ROOT) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _ids(catalog: Catalog) -> set[object]:
    return {(m.context, m.id) for m in catalog if m.id}


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or translation, as its forms (one, or one per plural)."""
    if isinstance(value, tuple | list):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def test_rasd_pot_holds_every_message_the_code_and_templates_mark(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    _pybabel(*EXTRACT, "-o", str(fresh), "src")
    assert _ids(_read(fresh)) == _ids(_read(POT)), "run `make messages`"


@pytest.mark.parametrize("lang", ["en", *COMPLETE])
def test_each_catalog_has_every_message_of_rasd_pot(lang: str) -> None:
    po = locale.LOCALE_DIR / lang / "LC_MESSAGES" / "rasd.po"
    assert _ids(_read(po, lang)) == _ids(_read(POT)), "run `make messages`"


@pytest.mark.parametrize("lang", COMPLETE)
def test_every_message_is_translated_with_the_same_fields(lang: str) -> None:
    catalog = _read(locale.LOCALE_DIR / lang / "LC_MESSAGES" / "rasd.po", lang)
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = _texts(message.id)
        forms = _texts(message.string)
        assert all(form.strip() for form in forms), message.id
        if len(ids) > 1:
            assert len(forms) == catalog.num_plurals, message.id
        wanted = _fields(ids[-1]) | {"n"} if len(ids) > 1 else _fields(ids[0])
        for form in forms:
            assert _fields(form) <= wanted, (message.id, form)
            if len(ids) == 1:
                assert _fields(form) == wanted, (message.id, form)


@pytest.mark.parametrize("lang", ["en", *COMPLETE])
def test_each_catalog_passes_the_checks_pybabel_compile_makes(lang: str) -> None:
    """`pybabel compile` (set-up runs it) refuses a catalog these checks fault: a "%" before a
    letter in an English message reads to gettext as a %-format its translation must repeat."""
    catalog = _read(locale.LOCALE_DIR / lang / "LC_MESSAGES" / "rasd.po", lang)
    faults = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert faults == []


def test_arabic_counts_take_the_six_forms_of_gettext_arabic() -> None:
    catalog = _read(locale.LOCALE_DIR / "ar" / "LC_MESSAGES" / "rasd.po", "ar")
    assert catalog.num_plurals == 6
    assert "n % 100 >= 11" in catalog.plural_expr


def test_the_level_words_are_one_set_everywhere() -> None:
    arabic = locale.words("ar")
    assert [terms.level_name(arabic, n) for n in (0, 1, 2)] == [
        "لا مشكلات",
        "مشكلات محتملة",
        "رُصدت مشكلات",
    ]
    assert [terms.level_phrase(arabic, n) for n in (0, 1, 2)] == [
        terms.level_name(arabic, n) for n in (0, 1, 2)
    ]
    english = locale.words("en")
    assert terms.level_phrase(english, 2) == "problems detected"
    assert i18n.strings("ar")["level_2"] == "رُصدت مشكلات"


def test_a_language_a_translator_adds_is_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    # what docs/translating.md tells a translator to do, on a copy of the catalogs
    folder = tmp_path / "locale"
    shutil.copytree(locale.LOCALE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.mo"))
    _pybabel("init", "-i", str(folder / "rasd.pot"), "-d", str(folder), "-D", "rasd", "-l", "fr")
    po = folder / "fr" / "LC_MESSAGES" / "rasd.po"
    text = po.read_text(encoding="utf-8")
    for english, french in [
        ("Problems detected", "Problèmes détectés"),
        ("problems detected", "problèmes détectés"),
        ("Status now", "État actuel"),  # a page string named by key (rasd.web.i18n)
        ("Time on this server", "Heure de ce serveur"),  # one the template writes itself
    ]:
        entry = f'msgid "{english}"\nmsgstr ""\n'
        assert entry in text
        text = text.replace(entry, f'msgid "{english}"\nmsgstr "{french}"\n')
    po.write_text(text, encoding="utf-8")
    _pybabel("compile", "-d", str(folder), "-D", "rasd", "-l", "fr")
    po.unlink()  # what is read is the compiled catalog

    assert locale.languages(folder) == ("en", "ar", "fr")
    in_french = locale.words("fr", folder)
    assert terms.level_name(in_french, 2) == "Problèmes détectés"
    assert in_french("Possible problems") == "Possible problems"  # not translated yet: English
    assert locale.words("de", folder).lang == "en"

    monkeypatch.setattr(locale, "LOCALE_DIR", folder)
    assert i18n.choose(None, {}, "fr-FR,fr;q=0.9,en;q=0.5") == "fr"
    assert i18n.choose("fr", {}, None) == "fr"
    assert i18n.strings("fr")["level_2"] == "Problèmes détectés"
    assert locale.direction("fr") == "ltr" and locale.direction("ar") == "rtl"
    page = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "État actuel" in page.text and "Heure de ce serveur" in page.text
    assert "Skip to content" in page.text  # what is not translated yet is English


def test_a_catalog_edited_after_it_was_compiled_is_read_from_the_po(tmp_path: Path) -> None:
    folder = tmp_path / "locale"
    shutil.copytree(locale.LOCALE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.mo"))
    _pybabel("compile", "-d", str(folder), "-D", "rasd", "-l", "ar")
    mo = folder / "ar" / "LC_MESSAGES" / "rasd.mo"
    assert terms.level_name(locale.words("ar", folder), 2) == "رُصدت مشكلات"
    po = mo.with_suffix(".po")
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "رُصدت مشكلات"', 'msgstr "مشكلات مرصودة"'),
        encoding="utf-8",
    )
    stamp = mo.stat().st_mtime + 5
    os.utime(po, (stamp, stamp))
    locale.forget()
    assert terms.level_name(locale.words("ar", folder), 2) == "مشكلات مرصودة"
