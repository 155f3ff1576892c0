"""How people spell a name they heard: one skeleton for many spellings, and the forms it misses.

A loanword has no fixed Arabic spelling. The g of "Google" is ج in Egypt, غ in the Levant and
the Maghreb, ق in the Gulf and ك in Iraq (جوجل، غوغل، قوقل، كوكل); the vowels of "Telegram" are
written in full, in part or not at all (تيليجرام، تليجرام، تلجرام); a name of two words is
written as one or two (فيس بوك، فيسبوك), or half in Latin letters ("واتس app").

Two folds, applied alike to names and to text (both already in normal form, see normalise):
- `folded`: the four g letters become one and "_" a space, so "#فيس_بوك" reads as words;
  the length is kept, so positions in it are positions in the normal form.
- `skeleton`: the folded text without the long vowels ا و ي. This loses information, so only
  names whose skeleton is long enough to be unlike any common word are looked for in it (the
  others are matched in the folded form only), and a match is placed back in the text and
  checked there: on a word's edges, with its first and last vowel letters, and vowels only
  where some known spelling of the name has them.
The forms a fold cannot reach are generated: by `forms` (words joined, mixed scripts, the
letters of an acronym with or without their final ه, number words as digits) and by
`spelt_out` (an acronym in Latin letters read out letter by letter, "du" as "دي يو").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import accumulate, count, product
from operator import add

LONG_VOWELS = frozenset("اوي")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
# Fewer consonants than this and a skeleton is a common word: "جيميل" would be "جمل", "camel".
MIN_SKELETON = 4
# A match through the skeleton must be spelt within this many vowel edits of a known spelling.
MAX_VOWEL_EDITS = 2
# From this many consonants on, a skeleton is no word's: vowels may then go anywhere.
LONG_SKELETON = 7
# CamelCase and script changes split names into the words people write apart: WhatsApp.
_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+|[^\W\d_a-zA-Z]+")


# A dot or a hyphen between two Arabic letters parts words: "ايه.تي", "قوقل-بلاي".
_JOINER = re.compile(r"(?<=[\u0621-\u064a])[.-](?=[\u0621-\u064a])")


def folded(norm: str) -> str:
    """`norm` with the g letters as one, and "_" (and a dot or hyphen between Arabic letters)
    as a space; same length, same positions."""
    # Chained replace: each a fast scan that copies only when it finds something, where
    # str.translate looks every character up (four times slower on Arabic posts).
    out = norm.replace("غ", "ج").replace("ق", "ج").replace("ك", "ج").replace("_", " ")
    if "." in out or "-" in out:
        return _JOINER.sub(" ", out)
    return out


def has_arabic(text: str) -> bool:
    return _ARABIC_LETTER.search(text) is not None


def skeleton(norm: str) -> str:
    """`norm` folded and without its long vowels: "فيسبوك" and "فايسبك" give "فسبج"."""
    return folded(norm).replace("ا", "").replace("و", "").replace("ي", "")


def dropped_vowels(norm: str) -> list[int]:
    """Indices of the characters `skeleton` leaves out, in order."""
    # The pieces between vowels give their positions without a loop in Python.
    pieces = norm.replace("و", "ا").replace("ي", "ا").split("ا")
    pieces.pop()
    return list(map(add, accumulate(map(len, pieces)), count()))


def skeleton_letters(key: str) -> int:
    return sum(1 for ch in key if not ch.isspace())


def words(alias: str) -> list[str]:
    """The written words of an alias, CamelCase split: "WhatsApp" -> ["Whats", "App"]."""
    return _PARTS.findall(alias)


def bare(key: str) -> str:
    """`key` without the article, which the matcher finds among the clitics: "الواتس"."""
    if key.startswith("ال") and len(key) > 4 and " " not in key[:4]:
        return key[2:]
    return key


def vowel_edits(written: str, known: str) -> int:
    """Long vowels to add or drop to turn `written` into `known` (one skeleton, both).

    A vowel for another counts two: "تكتيك" is four from "تيكتوك", where "تلجرام" is two
    from "تيليجرام".
    """
    return runs_apart(vowel_runs(written), vowel_runs(known))


def runs_apart(written: tuple[str, ...], known: tuple[str, ...]) -> int:
    """`vowel_edits` of two words given as their `vowel_runs`."""
    return sum(_run_edits(a, b) for a, b in zip(written, known, strict=False))


def vowel_slots(spellings: Iterable[str]) -> tuple[frozenset[str], ...]:
    """Where the known spellings of one skeleton write a vowel: one set per gap.

    People fill or leave out a vowel where the name has one, and swap one for another
    ("ماسنجر"، "ميسنجر"), but seldom put one where no spelling has any.
    """
    slots: list[set[str]] = []
    for word in spellings:
        runs = vowel_runs(word)
        slots += [set() for _ in range(len(runs) - len(slots))]
        for slot, run in zip(slots, runs, strict=False):
            slot.update(run)
    return tuple(frozenset(slot) for slot in slots)


def fits(written: str, slots: tuple[frozenset[str], ...]) -> bool:
    """True when `written` has vowels only in gaps where some known spelling has one."""
    runs = vowel_runs(written)
    return len(runs) == len(slots) and all(
        slot or not run for run, slot in zip(runs, slots, strict=True)
    )


def vowel_runs(word: str) -> tuple[str, ...]:
    """The long vowels of `word` gap by gap: "فايسبوك" -> ("", "اي", "", "و", "")."""
    runs = [""]
    for ch in word:
        if ch in LONG_VOWELS:
            runs[-1] += ch
        else:
            runs.append("")
    return tuple(runs)


def _run_edits(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a or not b:
        return len(a) + len(b)
    common = sum(1 for ch in set(a) if ch in b)  # runs are one or two letters long
    return len(a) + len(b) - 2 * min(common, len(a), len(b))


# The Arabic letters a Latin initial is written with in loanwords: a word of a Latin alias
# stands for a word of an Arabic one only if they begin alike ("whats" and "واتس" do,
# "app" and "تطبيق" do not: "تطبيق Careem" is not "Careem app" word for word).
_INITIALS = {
    "a": "اع", "b": "ب", "c": "جسش", "d": "دض", "e": "اي", "f": "ف", "g": "ج", "h": "هح",
    "i": "اي", "j": "ج", "k": "جخ", "l": "ل", "m": "م", "n": "ن", "o": "او", "p": "ب",
    "q": "ج", "r": "ر", "s": "سصش", "t": "تط", "u": "اوي", "v": "ف", "w": "و", "x": "ا",
    "y": "ي", "z": "ز",
}  # fmt: skip


def _sounds_alike(latin: str, arabic: str) -> bool:
    """True when `latin` (a Latin word) and `arabic` (folded or not) begin alike."""
    if not latin or not arabic or not latin[0].isascii() or has_arabic(latin):
        return False
    return folded(arabic[0]) in _INITIALS.get(latin[0], "")


def forms(norm: str, others: Iterable[list[str]] = (), joins: bool = True) -> Iterator[str]:
    """Spellings of `norm` (an alias in normal form) that the folds do not reach.

    With `joins` (the name is one word in Latin letters, "Facebook"), its words joined
    ("فيس بوك" -> "فيسبوك") where that cannot make a short common word of short parts
    ("بي تي" is not "بيتي", "my house"); and, with the words of the service's other aliases
    (`others`, in normal form), every mix of scripts word by word: "واتس اب" and "whats app"
    give "واتس app" and "whats اب". And the respellings of `_respelt`.
    """
    parts = norm.split()
    if len(parts) < 2 or not has_arabic(norm):
        return
    joined = "".join(parts)
    if joins and (len(joined) >= 6 or min(len(p) for p in parts) >= 3):
        yield joined
    yield from _respelt(parts)
    for other in others:
        if len(other) != len(parts) or not all(map(_sounds_alike, other, parts)):
            continue
        for mask in range(1, 2 ** len(parts) - 1):
            mixed = [other[i] if mask >> i & 1 else parts[i] for i in range(len(parts))]
            yield " ".join(mixed)


# The names of A, J and K end in a vowel that Arabic writes with a final ه or without:
# "كي بي ان" and "كيه بي ان" are KPN, "ايه تي اند تي" and "اي تي اند تي" AT&T. Only the
# letter names of an acronym (every word short) are respelt so: "كي" is also a word.
_LETTER_TAILS = {"كي": "كيه", "جي": "جيه", "قي": "قيه", "كيه": "كي", "جيه": "جي", "ايه": "اي"}
# English numbers written in Arabic letters, which people also write as digits: "أو 2" (O2).
_NUMBER_WORDS = {"ون": "1", "تو": "2", "ثري": "3", "فور": "4", "فايف": "5"}
_ACRONYM_WORD = 3


def _respelt(parts: list[str]) -> Iterator[str]:
    """`parts` (an alias's words) with letter names and number words written the other way."""
    short = all(len(p) <= _ACRONYM_WORD for p in parts)
    options: list[tuple[str, ...]] = []
    for part in parts:
        choice = [part]
        if short and part in _LETTER_TAILS:
            choice.append(_LETTER_TAILS[part])
        if part in _NUMBER_WORDS:
            choice.append(_NUMBER_WORDS[part])
        options.append(tuple(choice))
    for combo in product(*options):
        if list(combo) != parts:
            yield " ".join(combo)


# Latin letters as their names are written in Arabic (normal form).
_LETTER_NAMES = {
    "a": ("ايه", "اي"), "b": ("بي",), "c": ("سي",), "d": ("دي",), "e": ("اي",), "f": ("اف",),
    "g": ("جي",), "h": ("اتش",), "i": ("اي",), "j": ("جي", "جيه"), "k": ("كي", "كيه"),
    "l": ("ال",), "m": ("ام",), "n": ("ان",), "o": ("او",), "p": ("بي",), "q": ("كيو",),
    "r": ("ار",), "s": ("اس",), "t": ("تي",), "u": ("يو",), "v": ("في",), "w": ("دبليو",),
    "x": ("اكس",), "y": ("واي",), "z": ("زد", "زي"),
}  # fmt: skip
_ACRONYM = re.compile(r"[A-Za-z]{2,4}")


def spelt_out(alias: str) -> Iterator[str]:
    """An acronym in Latin letters as Arabic writes it letter by letter: "BT" -> "بي تي".

    An acronym is written in capitals ("KPN", "SFR") or two letters long ("du"); a longer
    word in small letters is read as a word, not letter by letter.
    """
    if not _ACRONYM.fullmatch(alias) or not (alias.isupper() or len(alias) == 2):
        return
    for names in product(*(_LETTER_NAMES[ch] for ch in alias.lower())):
        yield " ".join(names)
