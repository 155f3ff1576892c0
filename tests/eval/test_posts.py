from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from rasd.cli import app
from rasd.eval.posts import SETS, Counts, load_set, parse_rows, score
from rasd.signals.text import AliasEntry, AliasMatcher, Analyser


def test_the_labelled_set_is_large_and_varied() -> None:
    dev, held = load_set("dev"), load_set("heldout")
    rows = dev + held
    assert len(rows) >= 1500
    assert len({r.id for r in rows}) == len(rows)
    assert len({r.text for r in rows}) > 0.97 * len(rows)
    langs = Counter(r.lang for r in rows)
    for lang in (
        "en",
        "fr",
        "de",
        "nl",
        "ar-eg",
        "ar-gulf",
        "ar-lev",
        "ar-mag",
        "ar-msa",
        "ar-latn",
    ):
        assert langs[lang] >= 40, lang
    labels = Counter(r.label for r in rows)
    assert min(labels.values()) >= 200
    assert Counter(r.origin for r in rows)["hand"] >= 700
    assert {r.text for r in dev}.isdisjoint({r.text for r in held})


def test_counts() -> None:
    c = Counts(tp=8, fp=2, fn=8)
    assert (c.precision, c.recall, c.support) == (0.8, 0.5, 16)
    assert c.f1 == pytest.approx(2 * 0.8 * 0.5 / 1.3)
    assert Counts().f1 == 0.0


def _row(id_: str, text: str, lang: str, label: str, services: list[str]) -> str:
    row = {"id": id_, "text": text, "lang": lang, "label": label, "services": services}
    return json.dumps(row, ensure_ascii=False)


def test_score_counts_right_and_wrong() -> None:
    rows = list(
        parse_rows(
            [
                _row("1", "WhatsApp is down", "en", "complaint", ["whatsapp"]),
                _row("2", "WhatsApp stock is down", "en", "complaint", []),
                _row("3", "الواتس رجع", "ar-eg", "recovery", ["whatsapp"]),
            ]
        )
    )
    analyser = Analyser(
        AliasMatcher.from_entries(
            [AliasEntry("whatsapp", "WhatsApp"), AliasEntry("whatsapp", "واتس")]
        )
    )
    result = score(rows, analyser)
    both = result.counts("*", "complaining")
    assert (both.tp, both.fp, both.fn) == (1, 0, 1)
    assert result.counts("ar-eg", "recovery").tp == 1
    assert (result.services.tp, result.services.fp, result.services.fn) == (2, 1, 0)
    assert result.language_right == 3
    assert [post.id for post, _ in result.errors] == ["2"]


def test_unknown_set_and_label() -> None:
    with pytest.raises(ValueError):
        load_set("train")
    with pytest.raises(ValueError):
        list(parse_rows(['{"id":"1","text":"x","lang":"en","label":"angry"}']))


def test_rasd_eval_posts_meets_the_target() -> None:
    result = CliRunner().invoke(app, ["eval", "posts", "--errors", "3"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for name in SETS:
        assert f"posts: {name} set" in result.output
    summaries = [
        line for line in result.output.splitlines() if line.startswith("complaint detection")
    ]
    assert len(summaries) == 2
    for line in summaries:
        f1 = float(line.split("F1 ")[1].split(";")[0])
        assert f1 >= 0.9, line
