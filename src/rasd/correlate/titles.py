"""Titles and timeline lines of events, as phrases (rasd.phrase): codes with the ids of the
services, owners and countries they name. The words are `rasd.locale.phrases`', said in the
reader's language where an event is shown."""

from __future__ import annotations

from collections.abc import Sequence

from rasd.phrase import Arg, Phrase

# what can happen to an event, each a line of its timeline (`log.<kind>`)
LOG_KINDS = frozenset(
    {
        "network",
        "opened",
        "regional",
        "joined_owner",
        "joined_infrastructure",
        "joined_region",
        "spillover",
        "promoted",
        "absorbed",
        "merged",
        "recovering",
        "resolved",
        "reopened",
        "cause",
        "cause_again",
        "cause_ended",
    }
)


def outage_title(owner: str | None, services: Sequence[str], limit: int) -> Phrase:
    """ "Meta: Facebook, Instagram, WhatsApp, Messenger"; the owner is named by its id."""
    return Phrase("title.outage", {"owner": owner, "services": tuple(services), "shown": limit})


def regional_title(country: str, services: Sequence[str], limit: int) -> Phrase:
    """ "Network outage in Egypt: ..."; `country` is an ISO 3166 code."""
    args: dict[str, Arg] = {"country": country, "services": tuple(services), "shown": limit}
    return Phrase("title.regional", args)


def network_title(network: str, services: Sequence[str], limit: int) -> Phrase:
    """ "Network outage at Vodafone Egypt, AS24835: ..."; a network's name is not translated."""
    args: dict[str, Arg] = {"network": network, "services": tuple(services), "shown": limit}
    return Phrase("title.network", args)


def log_line(kind: str, services: Sequence[str], what: Arg = "", country: str = "") -> Phrase:
    if kind not in LOG_KINDS:
        raise ValueError(f"no timeline line {kind!r}")
    return Phrase(f"log.{kind}", {"services": tuple(services), "what": what, "country": country})
