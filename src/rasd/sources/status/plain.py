"""A status page with nothing a program can read: Rasd only checks that it answers, and
links to it. Its word on the service stays unknown."""

from __future__ import annotations

from rasd.signals.status import Format, Reading


def _main(link: str, feed: str | None) -> str:
    return feed or link


def parse(body: bytes, link: str) -> Reading:
    return Reading(indicator=None, answered=True)


PLAIN = Format("http", _main, parse, json=False)
