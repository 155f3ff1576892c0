"""Words for why detection decided what it did: a signal's name and one line per reason.

Detection hands out a reason as a code (`signal`, `agreement`, `probe_quorum`, `route_loss`,
`official`, `maintenance`, `recovery_posts`, `probes_healthy`), the signal it is about and two
numbers, what was seen and what is usual; this says it in a language.
"""

from __future__ import annotations

from rasd import series
from rasd.locale import N_, NC_, Words

SIGNAL_NAMES = {
    series.REPORTS: NC_("signal", "reports"),
    series.POSTS: NC_("signal", "posts"),
    series.RECOVERY_POSTS: NC_("signal", "posts saying it is back"),
    series.PROBES_TOTAL: NC_("signal", "probes"),
    series.OFFICIAL: NC_("signal", "official status page"),
    series.ROUTES_UNSEEN: NC_("signal", "peers without its routes"),
}
# what a status page says, by the `official` signal's value
OFFICIAL_WORDS = (
    N_("operational"),
    N_("degraded performance"),
    N_("partial outage"),
    N_("major outage"),
)
_REASONS = {
    "probe_quorum": N_("{name}: {seen} (a quorum of probes failing)"),
    "maintenance": N_("planned maintenance, announced"),
    "official": N_("{name}: {said}"),
    "route_loss": N_("{name}: {seen} (the name servers' routes are gone)"),
    "probes_healthy": N_("{name}: {seen}, all healthy"),
    "agreement": N_("{name}: {seen} against {usual} usual (agrees with the others)"),
}
_AGAINST_USUAL = N_("{name}: {seen} against {usual} usual")


def signal_name(words: Words, signal: str) -> str:
    name = SIGNAL_NAMES.get(signal)
    if name is not None:
        return words(name)
    if signal.startswith(series.PROBE_PREFIX):
        kind = signal.removeprefix("probes_").removeprefix("probe_").removesuffix("_failed")
        if kind == "failed":
            return words(N_("failed probes"))
        # TRANSLATORS: {kind} is a kind of check: dns, http, tcp, tls
        return words(N_("failed {kind} probes"), kind=kind)
    return signal


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def reason_text(words: Words, code: str, signal: str, observed: float, expected: float) -> str:
    said = ""
    if code == "official":
        said = words(OFFICIAL_WORDS[min(max(int(observed), 0), 3)])
    return words(
        _REASONS.get(code, _AGAINST_USUAL),
        name=signal_name(words, signal),
        seen=_number(observed),
        usual=_number(expected),
        said=said,
    )
