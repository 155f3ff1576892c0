"""Text normalisation: one form for every way people write the same word.

Arabic: diacritics, tatweel and Quranic marks go; alef and hamza forms, taa marbuta and alef
maqsura fold; Persian look-alike letters and Arabic-Indic digits fold. Latin: lower case,
accents off. Everywhere: a letter repeated three times or more ("عطللللل", "dooown") becomes one.
Hashtags, mentions and emoji are kept: they are signals, not noise.

Most changes keep the length, so positions in the normal form are positions in the original;
where they do not, `source_offsets` maps them back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_DELETED = (
    [chr(c) for c in range(0x064B, 0x0660)]  # harakat, shadda, sukun and the rare marks
    + ["\u0670", "\u0640"]  # superscript alef, tatweel
    + [chr(c) for c in range(0x06D6, 0x06EE) if c not in (0x06E5, 0x06E6)]  # Quranic marks
    + [chr(c) for c in range(0x0300, 0x0370)]  # combining accents left by decomposed input
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufe0e", "\u00ad", "\u2066", "\u2069"]
)

_FOLDED = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ؤ": "و",
    "ئ": "ي",
    "ى": "ي",
    "ة": "ه",
    "ۀ": "ه",
    "ہ": "ه",
    "ک": "ك",
    "ی": "ي",
    "ې": "ي",
    "ڤ": "ف",  # Maghrebi and Gulf spellings of v
    "ڨ": "ق",  # Maghrebi g
    "گ": "ك",
    "چ": "ج",  # Egyptian g in loanwords: "اورنچ"
    "پ": "ب",
    "ٹ": "ت",  # Urdu retroflex letters, in Urdu spellings of the same loanwords: "انسٹاگرام"
    "ڈ": "د",
    "ڑ": "ر",
    "ں": "ن",
    "ھ": "ه",
    "ے": "ي",
    "ۓ": "ي",
    "ۃ": "ه",
    "،": ",",
    "؛": ";",
    "؟": "?",
    "٪": "%",
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00a0": " ",
    "\u201c": '"',
    "\u201d": '"',
}


def _latin_folds() -> dict[str, str]:
    folds: dict[str, str] = {}
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        low = ch.lower()
        base = unicodedata.normalize("NFD", ch)[0].lower()
        if len(low) == 1 and base != low and base.isascii() and base.isalpha():
            folds[low] = base
    folds.update({"ø": "o", "đ": "d", "ł": "l", "ı": "i"})
    return folds


def _digit_folds() -> dict[str, str]:
    folds = {chr(0x0660 + d): str(d) for d in range(10)}  # Arabic-Indic
    folds.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian
    return folds


@cache
def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(ch): None for ch in _DELETED}
    for mapping in (_FOLDED, _latin_folds(), _digit_folds()):
        table.update({ord(k): v for k, v in mapping.items()})
    return table


# Letters only: "2000" and "100%" must survive; "ههههه" and "nooooo" must not.
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_TRIPLE = re.compile(r"(\w)\1\1")  # a cheaper test that lets a few digit runs through


# The folds nearly every Arabic post needs, done by chained replace (a fast scan each);
# str.translate looks every character up, so it runs only when some other fold is needed.
_COMMON = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ة", "ه"), ("ى", "ي"), ("ؤ", "و"), ("ئ", "ي"))


@cache
def _rare() -> re.Pattern[str]:
    common = {ord(a) for a, _ in _COMMON}
    chars = "".join(re.escape(chr(code)) for code in sorted(_table()) if code not in common)
    return re.compile(f"[{chars}]")


def normalise(text: str) -> str:
    """The normal form that aliases and lexicon phrases are matched against."""
    folded = text.lower()
    if not folded.isascii():  # every folding in the table is of a non-ASCII character
        for letter, plain in _COMMON:
            folded = folded.replace(letter, plain)
        if _rare().search(folded) is not None:
            folded = folded.translate(_table())
    if _TRIPLE.search(folded) is None:  # most posts: no run at all, nothing to rebuild
        return folded
    return _ELONGATION.sub(_first_letter, folded)


def _first_letter(match: re.Match[str]) -> str:
    return match.group(1)


_DOUBLED = re.compile(r"([^\W\d_])\1+")


def single_letters(phrase: str) -> str:
    """`phrase` (in normal form) with doubled letters single: the form "whatsapppp" takes.

    Normalisation turns a run of three or more into one letter, so an alias with a double
    letter ("whatsapp", "kaputt") is also looked for in this form.
    """
    return _DOUBLED.sub(r"\1", phrase)


def source_offsets(text: str) -> list[int]:
    """For each index of `normalise(text)` (and its end), the index in `text` it came from.

    Slow, character by character: only called when the normal form changed the length.
    """
    table = _table()
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for low in ch.lower():
            mapped = table.get(ord(low), low)
            if mapped is None:
                continue
            for out in mapped:
                chars.append(out)
                origin.append(i)
    kept: list[int] = []
    run = 0
    for j, ch in enumerate(chars):
        same = j > 0 and ch == chars[j - 1]
        run = run + 1 if same else 1
        if run == 1 or not _is_letter(ch):
            kept.append(j)
            continue
        # Decide once the run is known: a letter run of three or more keeps only its head.
        if run == 3:
            kept.pop()
        if run < 3:
            kept.append(j)
    offsets = [origin[j] for j in kept]
    offsets.append(len(text))
    return offsets


_LETTER = re.compile(r"[^\W\d_]")


def _is_letter(ch: str) -> bool:
    # The same test as the elongation pattern, so both sides agree on every character.
    return _LETTER.match(ch) is not None
