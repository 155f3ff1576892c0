"""The words Rasd says, per language, from gettext catalogs.

Code and templates write English and mark it (`N_("...")` here, `_("...")` in templates);
`pybabel extract` gathers the marks into a template, and each language has its catalog,
`<lang>/LC_MESSAGES/rasd.po`, beside this file. Set-up compiles each `.po` into the `.mo`
that is read here; a `.po` that is newer than its `.mo` (or has none) is read from the `.po`
itself, so an edited catalog never shows stale words. A language is any folder here with a
catalog: a translator who adds `fr/LC_MESSAGES/rasd.po` adds French (docs/translating.md).

Fields are written `{name}` and filled after translation; a count that changes the words goes
through `plural()` so each language picks its own plural form (Arabic has six).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

DOMAIN = "rasd"
SOURCE = "en"  # the language the messages are written in
# the languages every text the API and the stored events carry is given in (their shapes
# name them); pages and alerts take any language with a catalog
PUBLISHED = ("en", "ar")
LOCALE_DIR = Path(__file__).resolve().parent
RTL = frozenset({"ar", "fa", "he", "ur"})


def N_(message: str) -> str:
    """Marks `message` for extraction where it is defined; it is translated where it is shown."""
    return message


class Contextual(NamedTuple):
    """A message whose English says more than one thing: the context tells them apart."""

    context: str
    message: str


def NC_(context: str, message: str) -> Contextual:
    """`N_` for a message with a context (`-k NC_:1c,2` to `pybabel extract`)."""
    return Contextual(context, message)


Message = str | Contextual


class Words:
    """One language's messages: `_("...", name=...)`, `_.plural(singular, plural, count, ...)`.

    Bound to `_` where it is used, as gettext's tools expect: `pybabel extract` finds the
    messages written in the call (with `-k plural:1,2 -k plural_in:1c,2,3` for the plural ones).
    """

    __slots__ = ("lang", "_t")

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._t = translations

    def __call__(self, message: Message, /, **fields: object) -> str:
        if isinstance(message, Contextual):
            text = self._t.pgettext(message.context, message.message)
        else:
            text = self._t.gettext(message)
        return text.format(**fields) if fields else text

    def plural(self, singular: str, plural: str, count: int, /, **fields: object) -> str:
        """The form for `count`; `{n}` in the message is the count unless given."""
        text = self._t.ngettext(singular, plural, int(count))
        fields.setdefault("n", count)
        return text.format(**fields)

    def plural_in(
        self, context: str, singular: str, plural: str, count: int, /, **fields: object
    ) -> str:
        """`plural` for a message whose English says more than one thing."""
        text = self._t.npgettext(context, singular, plural, int(count))
        fields.setdefault("n", count)
        return text.format(**fields)


def _catalog_files(localedir: Path, lang: str) -> tuple[Path, Path]:
    folder = localedir / lang / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


@lru_cache(maxsize=8)
def _languages(localedir: Path) -> tuple[str, ...]:
    found = {
        child.name
        for child in localedir.iterdir()
        if child.is_dir() and any(p.exists() for p in _catalog_files(localedir, child.name))
    }
    found.add(SOURCE)
    return (SOURCE, *sorted(found - {SOURCE}))


def languages(localedir: Path | None = None) -> tuple[str, ...]:
    """The languages with a catalog, the source language first."""
    return _languages(localedir or LOCALE_DIR)


def _from_po(po: Path) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=32)
def _translations(localedir: Path, lang: str) -> gettext.NullTranslations:
    po, mo = _catalog_files(localedir, lang)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        return _from_po(po)
    return gettext.NullTranslations()


def words(lang: str, localedir: Path | None = None) -> Words:
    """The messages of `lang`; English (the messages as written) for a language without any."""
    folder = localedir or LOCALE_DIR
    if lang not in languages(folder):
        lang = SOURCE
    return _words(folder, lang)


@lru_cache(maxsize=32)
def _words(localedir: Path, lang: str) -> Words:
    return Words(lang, _translations(localedir, lang))


def each(
    message: Message, /, langs: tuple[str, ...] = PUBLISHED, **fields: object
) -> dict[str, str]:
    """`message` in each of `langs`, as the API's `{"en": ..., "ar": ...}` shapes carry it."""
    return {lang: words(lang)(message, **fields) for lang in langs}


# TRANSLATORS: joins the items of a list but the last: "Facebook, Instagram"
_LIST_NEXT = N_("{items}, {item}")
# TRANSLATORS: joins the last item of a list: "Facebook, Instagram and WhatsApp"
_LIST_LAST = N_("{items} and {item}")


# TRANSLATORS: joins the items of a list with commas only: "Facebook, Instagram, WhatsApp"
_COMMA = NC_("list", "{items}, {item}")


def commas(words: Words, items: list[str]) -> str:
    """Items one after another, as a title or a parenthesis lists them: "A, B, C"."""
    text = items[0] if items else ""
    for item in items[1:]:
        text = words(_COMMA, items=text, item=item)
    return text


def listing(words: Words, items: list[str]) -> str:
    """Items as a sentence lists them: "A, B and C"."""
    if not items:
        return ""
    text = items[0]
    for at, item in enumerate(items[1:], start=1):
        text = words(_LIST_LAST if at == len(items) - 1 else _LIST_NEXT, items=text, item=item)
    return text


def direction(lang: str) -> str:
    return "rtl" if lang in RTL else "ltr"


def forget() -> None:
    """Reads the catalogs again at the next use (after a catalog was added or compiled)."""
    _languages.cache_clear()
    _translations.cache_clear()
    _words.cache_clear()
