"""Text for simulated posts: what people write when a service fails, comes back, or is fine.

Phrased apart from the labelled evaluation set on purpose, so that a replay does not score
the classifier on its own test posts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LANGS = ("ar", "en", "fr", "de", "nl")
_LABELS = ("complaint", "question", "recovery", "other")

_FRAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "complaint": (
            "{s} not working on wifi or on mobile data",
            "Restarted my phone twice and {s} is still down",
            "{s} outage hitting us here too",
            "cannot reach {s} at all this afternoon",
            "{s} keeps crashing the moment it opens",
            "{s} has stopped working for the whole office",
        ),
        "question": (
            "Anyone else seeing {s} fail to load?",
            "{s} not working for anybody else?",
            "quick check: is {s} down where you are?",
        ),
        "recovery": (
            "{s} messages coming through again",
            "and {s} is back, that took a while",
            "{s} working again over here",
        ),
        "other": (
            "{s} posted record results this quarter",
            "saved a great recipe from {s} today",
            "how do you change the language in {s}?",
        ),
    },
    "ar": {
        "complaint": (
            "{s} واقف عندنا من بدري",
            "يا ناس {s} معطل كليا",
            "حاولت اكتر من مرة و{s} لا يعمل",
            "{s} طايح عندنا من شوي",
            "{s} ما عم يشتغل ابدا من الضهر",
        ),
        "question": (
            "{s} واقف عند غيري كمان؟",
            "حد جرب {s} دلوقتي؟ عندي مش بيفتح",
            "هل {s} متوقف في منطقتكم؟",
        ),
        "recovery": (
            "اخيرا {s} رجع يشتغل عندنا",
            "{s} يعمل من جديد عندي",
            "الحمد لله {s} رجع",
        ),
        "other": (
            "نزلت صور الرحلة على {s}",
            "{s} عنده خاصية حلوة للمكالمات الجماعية",
            "كيف اغير لغة {s}؟",
        ),
    },
    "fr": {
        "complaint": (
            "{s} en panne chez nous depuis le déjeuner",
            "toujours impossible d'ouvrir {s}",
            "{s} plante dès le démarrage",
        ),
        "question": ("quelqu'un a aussi {s} en panne ?", "{s} bug chez quelqu'un d'autre ?"),
        "recovery": ("{s} remarche chez nous", "ouf, {s} est revenu"),
        "other": (
            "j'ai partagé les photos du mariage sur {s}",
            "tuto : comment archiver une discussion {s}",
        ),
    },
    "de": {
        "complaint": (
            "{s} geht seit dem Mittag nicht",
            "{s} lädt nicht, weder im WLAN noch mobil",
            "schon wieder Störung bei {s}",
        ),
        "question": ("hat sonst noch jemand Ärger mit {s}?", "{s} bei euch auch tot?"),
        "recovery": ("{s} läuft wieder bei uns", "{s} geht endlich wieder"),
        "other": ("die Urlaubsfotos sind auf {s}", "wie stellt man bei {s} die Sprache um?"),
    },
    "nl": {
        "complaint": (
            "{s} ligt al de hele middag plat",
            "{s} doet het niet, op wifi en op 4G",
            "weer een storing bij {s}",
        ),
        "question": ("heeft nog iemand last van {s}?", "{s} bij jullie ook kapot?"),
        "recovery": ("{s} doet het weer bij ons", "{s} doet het gelukkig weer, na een uur"),
        "other": ("de vakantiefoto's staan op {s}", "hoe zet je de taal om in {s}?"),
    },
}
_EMOJI: dict[str, tuple[str, ...]] = {
    "complaint": ("", "", "", " 😡", " 😩", " !!"),
    "question": ("", "", " 🤔"),
    "recovery": ("", "", " 🙌", " 👍"),
    "other": ("", "", " 🙂"),
}


def compose_post(
    names: str | Sequence[str], label: str, lang: str, rng: np.random.Generator
) -> str:
    """A post about a service, saying `label` in `lang`.

    `names` is the name to use, or names and aliases to pick one from (pass names in the
    post's language: an Arabic post reads best with the Arabic name). `label` is one of
    complaint, question, recovery, other; `lang` one of ar, en, fr, de, nl.
    """
    if label not in _LABELS:
        raise ValueError(f"unknown label {label!r}; one of {', '.join(_LABELS)}")
    frames = _FRAMES.get(lang)
    if frames is None:
        raise ValueError(f"no phrasing for language {lang!r}; one of {', '.join(LANGS)}")
    choices = (names,) if isinstance(names, str) else tuple(names)
    if not choices:
        raise ValueError("compose_post needs at least one name")
    name = choices[int(rng.integers(len(choices)))]
    options = frames[label]
    frame = options[int(rng.integers(len(options)))]
    tail = _EMOJI[label][int(rng.integers(len(_EMOJI[label])))]
    return frame.format(s=name) + tail
