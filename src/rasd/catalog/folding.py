"""One search key for every way a name is written: case, accents, Arabic letter forms, spacing.

This fold is for looking names up, so it is harsher than the one posts are matched with:
it drops spaces and punctuation too, so "فيس بوك" meets "فيسبوك" and "Xbox-Live" meets "xbox live".
"""

from __future__ import annotations

import unicodedata

# Applied after NFKD, which already splits hamza and madda off their carrier letters (أ إ آ ؤ ئ)
# as combining marks; what is left are letters that have no decomposition.
_LETTERS: dict[str, str] = {
    "\u0671": "ا",  # alef wasla
    "\u0672": "ا",
    "\u0673": "ا",
    "ة": "ه",
    "ۀ": "ه",
    "ہ": "ه",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ک": "ك",
    "گ": "ك",
    "ڤ": "ف",  # v in Gulf and Maghrebi spellings: "ڤودافون"
    "ڨ": "ق",
    "پ": "ب",
    "\u0640": "",  # tatweel: a letter to Python, decoration to readers
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}
_LETTERS.update({chr(0x0660 + d): str(d) for d in range(10)})
_LETTERS.update({chr(0x06F0 + d): str(d) for d in range(10)})

# Kept because they tell brands apart: "e&", "AT&T", "Disney+".
_KEPT_SYMBOLS = frozenset("&+")


def fold(text: str) -> str:
    """The search key of `text`: letters and digits only, folded; "" when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    out: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        mapped = _LETTERS.get(ch, ch)
        for piece in mapped:
            if piece.isalnum() or piece in _KEPT_SYMBOLS:
                out.append(piece)
    return "".join(out)
