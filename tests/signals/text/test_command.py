from __future__ import annotations

import orjson
from typer.testing import CliRunner

from rasd.cli import app
from rasd.cli.mentions import mention_lines
from rasd.signals.text import Analyser


def test_one_document_per_line(analyser: Analyser) -> None:
    lines = ["WhatsApp is down\n", "\n", "الواتس رجع\n"]
    docs = [orjson.loads(doc) for doc in mention_lines(lines, analyser)]
    assert [d["label"] for d in docs] == ["complaint", "recovery"]
    assert docs[0]["services"] == [
        {
            "service": "whatsapp",
            "alias": "WhatsApp",
            "start": 0,
            "end": 8,
            "found": "WhatsApp",
            "label": "complaint",
        }
    ]
    assert docs[1]["language"] == "ar"


def test_whole_text_is_one_document(analyser: Analyser) -> None:
    article = ["Facebook and Instagram were hit.\n", "WhatsApp is down as well.\n"]
    (doc,) = [orjson.loads(d) for d in mention_lines(article, analyser, whole=True)]
    assert {s["service"] for s in doc["services"]} == {"facebook", "instagram", "whatsapp"}


def test_rasd_mentions_reads_standard_input() -> None:
    result = CliRunner().invoke(app, ["mentions"], input="is Instagram down?\nhello\n")
    assert result.exit_code == 0, result.output
    docs = [orjson.loads(line) for line in result.output.splitlines()]
    assert docs[0]["label"] == "question"
    assert docs[0]["services"][0]["service"] == "instagram"
    assert docs[1]["services"] == []
