"""Public posts: their shape, reading them from JSON lines, and counting them per minute.

A post becomes counts on two signals: `posts` (complaints and questions about a service) and
`posts_recovery` (posts saying it is back), per service, per minute, in the world, in the
post's country and, when given, in its city.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, TypeVar

import msgspec

from rasd.clock import minute_of
from rasd.series import POSTS, RECOVERY_POSTS, WORLD, SeriesKey
from rasd.signals.text.analysis import Analyser
from rasd.signals.text.classifier import COMPLAINING, Label
from rasd.signals.text.matcher import AliasMatcher

T = TypeVar("T")

MAX_TEXT = 10_000
MAX_KEY = 200


class Post(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """One public post. `created` is UTC; `country` an ISO 3166 alpha-2 code, upper case."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
    created: Annotated[datetime, msgspec.Meta(tz=True)]
    author: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY)]
    lang: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] | None = None
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}$")] | None = None
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY)] | None = None
    # the catalog service a comment was written on (its page): the post is about it even
    # when its text does not name it ("down since noon here")
    service: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class PostParseError(msgspec.Struct, frozen=True):
    """A line that was skipped: its number (from 1) and why."""

    line: int
    reason: str


_DECODER = msgspec.json.Decoder(Post)


@cache
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(str(country.alpha_2) for country in pycountry.countries)


def parse_posts_jsonl(
    lines: Iterable[str | bytes],
) -> tuple[list[Post], list[PostParseError]]:
    """Posts from JSON lines; malformed lines are reported and skipped, repeated ids ignored."""
    posts: list[Post] = []
    errors: list[PostParseError] = []
    seen: set[str] = set()
    decode = _DECODER.decode
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            post = decode(line)
        except msgspec.ValidationError as exc:
            errors.append(PostParseError(number, str(exc)))
            continue
        except msgspec.DecodeError as exc:
            errors.append(PostParseError(number, f"not JSON: {exc}"))
            continue
        if post.id in seen:
            continue
        if post.country is not None or post.created.tzinfo is not UTC or post.city is not None:
            fixed = _settled(post)
            if isinstance(fixed, str):
                errors.append(PostParseError(number, fixed))
                continue
            post = fixed
        seen.add(post.id)
        posts.append(post)
    return posts, errors


def _settled(post: Post) -> Post | str:
    """The post in canonical form (UTC time, upper-case country), or why it cannot be."""
    country = post.country
    if country is not None:
        country = country.upper()
        if country not in _countries():
            return f"unknown country code {post.country!r} - at `$.country`"
    elif post.city is not None:
        return "a city needs its country - at `$.city`"
    city = post.city.strip() if post.city is not None else None
    if city is not None and ("/" in city or not city):
        return "a city name has no '/' and is not blank - at `$.city`"
    created = post.created.astimezone(UTC)
    if country == post.country and created is post.created and city == post.city:
        return post
    return msgspec.structs.replace(post, created=created, country=country, city=city)


Counts = dict[tuple[SeriesKey, int], int]


# Texts read lately, and what they say: the same words come again and again (reposts, "is it
# down?", bots), and reading one costs a few hundred microseconds. Short texts only, so the
# memory stays small: at most _READ_KEPT of _READ_LONGEST characters.
_READ_KEPT = 16_384
_READ_LONGEST = 1_000


class PostCounter:
    """Counts per (series, epoch minute) of posts that complain about or see back a service.

    A post counts once per service it names (a comment naming none, for the service it was
    written on), in the world region, in its country if it has
    one, and in `country/city` if it has a city as well.
    """

    def __init__(self, reader: Analyser | AliasMatcher) -> None:
        self._analyser = reader if isinstance(reader, Analyser) else Analyser(reader)
        self._read: dict[str, dict[str, Label]] = {}
        self._classified: dict[str, Label] = {}

    def service_labels(self, text: str) -> dict[str, Label]:
        """The analyser's `service_labels`, remembered for a text seen lately (the same
        answer: it depends on the text alone). Callers do not change what it returns."""
        return _remembered(self._read, text, self._analyser.service_labels)

    def _classify(self, text: str) -> Label:
        return _remembered(self._classified, text, self._analyser.classify)

    def count(self, posts: Iterable[Post]) -> Counts:
        counts: Counts = {}
        labels_of = self.service_labels
        classify = self._classify
        for post in posts:
            services = labels_of(post.text)
            if post.service is not None and not services:
                # a text naming other services is about them ("Instagram is down")
                services = {post.service: classify(post.text)}
            if not services:
                continue
            minute = minute_of(post.created)
            regions = _regions(post)
            for service, label in services.items():
                if label in COMPLAINING:
                    signal = POSTS
                elif label == "recovery":
                    signal = RECOVERY_POSTS
                else:
                    continue
                for region in regions:
                    key = (SeriesKey(service, signal, region), minute)
                    counts[key] = counts.get(key, 0) + 1
        return counts


def _remembered(kept: dict[str, T], text: str, read: Callable[[str], T]) -> T:
    found = kept.get(text)
    if found is None:
        found = read(text)
        if len(text) <= _READ_LONGEST:
            if len(kept) >= _READ_KEPT:
                kept.clear()  # a new generation: what is still said comes back soon
            kept[text] = found
    return found


def _regions(post: Post) -> tuple[str, ...]:
    if post.country is None:
        return (WORLD,)
    if post.city is None:
        return (WORLD, post.country)
    return (WORLD, post.country, f"{post.country}/{post.city}")
