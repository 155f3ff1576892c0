"""`rasd mentions`: read posts on standard input, print what each says as JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import orjson
import typer

from rasd.signals.text.analysis import Analyser, PostAnalysis


def mention_lines(
    texts: Iterable[str], analyser: Analyser, *, whole: bool = False
) -> Iterator[bytes]:
    """One JSON document per post (per line of input, or one for all of it with `whole`)."""
    if whole:
        joined = "".join(texts)
        if joined.strip():
            yield orjson.dumps(_document(joined, analyser.analyse(joined)))
        return
    for line in texts:
        text = line.rstrip("\r\n")
        if text.strip():
            yield orjson.dumps(_document(text, analyser.analyse(text)))


def _document(text: str, analysis: PostAnalysis) -> dict[str, Any]:
    return {
        "text": text,
        "label": analysis.label,
        "language": analysis.language,
        "services": [
            {
                "service": mention.service,
                "alias": mention.alias,
                "start": mention.start,
                "end": mention.end,
                "found": text[mention.start : mention.end],
                "label": analysis.services[mention.service],
            }
            for mention in analysis.mentions
        ],
    }


def mentions(
    whole: Annotated[
        bool, typer.Option("--whole", help="Read all of standard input as one text (an article)")
    ] = False,
) -> None:
    """Services named in text on standard input, with label and language, as JSON lines."""
    from rasd.signals.text.analysis import default_analyser

    analyser = default_analyser()
    out = sys.stdout.buffer
    for document in mention_lines(sys.stdin, analyser, whole=whole):
        out.write(document + b"\n")
    out.flush()
