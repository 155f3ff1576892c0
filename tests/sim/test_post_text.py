from __future__ import annotations

import numpy as np
import pytest

from rasd.eval.posts import load_set
from rasd.signals.text import COMPLAINING, AliasEntry, AliasMatcher, Analyser
from rasd.sim.post_text import LANGS, compose_post

NAMES = {
    "en": ["WhatsApp", "Instagram"],
    "fr": ["WhatsApp", "Insta"],
    "de": ["WhatsApp", "Facebook"],
    "nl": ["WhatsApp", "Facebook"],
    "ar": ["واتساب", "الواتس", "فيسبوك"],
}


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    entries = [
        AliasEntry("whatsapp", "WhatsApp"),
        AliasEntry("whatsapp", "واتساب"),
        AliasEntry("whatsapp", "واتس"),
        AliasEntry("instagram", "Instagram"),
        AliasEntry("instagram", "Insta"),
        AliasEntry("facebook", "Facebook"),
        AliasEntry("facebook", "فيسبوك"),
    ]
    return Analyser(AliasMatcher.from_entries(entries))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("label", ["complaint", "question", "recovery", "other"])
def test_composed_posts_say_what_they_were_asked_to(
    analyser: Analyser, lang: str, label: str
) -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        text = compose_post(NAMES[lang], label, lang, rng)
        result = analyser.analyse(text)
        assert result.services, text
        same = result.label == label or {result.label, label} <= COMPLAINING
        assert same, (text, result.label)


def test_same_seed_same_posts() -> None:
    a = [compose_post("WhatsApp", "complaint", "en", np.random.default_rng(1)) for _ in range(3)]
    b = [compose_post("WhatsApp", "complaint", "en", np.random.default_rng(1)) for _ in range(3)]
    assert a == b


def test_phrasing_is_not_the_evaluation_set() -> None:
    texts = {row.text for row in load_set("dev") + load_set("heldout")}
    rng = np.random.default_rng(3)
    for lang in LANGS:
        for label in ("complaint", "question", "recovery", "other"):
            for _ in range(20):
                assert compose_post(NAMES[lang], label, lang, rng) not in texts


def test_bad_arguments() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        compose_post("WhatsApp", "angry", "en", rng)
    with pytest.raises(ValueError):
        compose_post("WhatsApp", "complaint", "es", rng)
    with pytest.raises(ValueError):
        compose_post([], "complaint", "en", rng)
