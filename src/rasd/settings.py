"""Settings, declared as data: each has a name, a default and help; RASD_* variables or rasd.toml.

`docs/settings.md` documents every one of them (a test keeps it so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Canaries of every vantage point unless told otherwise: well known, run by unrelated
# organisations on unrelated networks, none in the catalog; the last needs no name resolution.
# Here rather than in rasd.probe so that settings load without the probe machinery.
DEFAULT_CANARIES: tuple[str, ...] = (
    "https://www.wikipedia.org/",
    "https://www.iana.org/",
    "tcp:9.9.9.9:53",
)

# Jetstream's public v1 instances, run by Bluesky (listed in Jetstream's README).
JETSTREAM_URLS: tuple[str, ...] = (
    "wss://jetstream1.us-east.bsky.network/subscribe",
    "wss://jetstream2.us-east.bsky.network/subscribe",
    "wss://jetstream1.us-west.bsky.network/subscribe",
    "wss://jetstream2.us-west.bsky.network/subscribe",
)


class MastodonInstance(BaseModel):
    """One Mastodon server to read, with a user access token of scope `read:statuses`."""

    model_config = {"extra": "forbid"}

    url: str = Field(pattern=r"^https?://[^/\s]+/?$", description="https://mastodon.example")
    token: str = Field(min_length=1)
    streams: list[str] = Field(
        default_factory=lambda: ["public"],
        min_length=1,
        description="public, public:local, public:remote, hashtag:TAG, hashtag:local:TAG",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RASD_", toml_file="rasd.toml", extra="forbid")

    store_url: str = Field(
        "sqlite:///var/rasd.db",
        description="Where counts, incidents and raw reports are kept: sqlite:///FILE or postgresql://...",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    public_url: str | None = Field(
        None,
        description="The address people reach this Rasd at (https://status.example.org), for links in alerts and feeds; default http://HOST:PORT.",
    )
    catalog_files: list[Path] = Field(
        default_factory=list,
        description="Extra service catalog TOML files that add or override services, in order.",
    )
    dedupe_minutes: int = Field(
        15, ge=1, description="A reporter counts once per service within this many minutes."
    )
    network_limit: int = Field(
        5,
        ge=1,
        description="Most reports one /24 (IPv4) or /48 (IPv6) network counts per service per dedupe window.",
    )
    reporter_limit: int = Field(
        20, ge=1, description="Most reports one reporter counts per hour over all services."
    )
    network_db: list[Path] = Field(
        default_factory=list,
        description="MaxMind-format (MMDB) files that map a client address to its network (AS number and name) and country, e.g. an ASN file and a country file; none: reports count by place only.",
    )
    batch_max: int = Field(10_000, ge=1, description="Most reports in one batch request.")
    body_max_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    report_batch_max_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest body of a report batch, in bytes (at most body_max_bytes): room for batch_max reports with every field filled; a larger body is refused before it is read.",
    )
    head_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A request's headers must arrive whole within this many seconds of its first byte, else the connection is closed (slow clients that hold connections open).",
    )
    body_idle_seconds: float = Field(
        10.0,
        gt=0,
        description="A request body that stops arriving for this many seconds ends its connection.",
    )
    future_skew_seconds: int = Field(
        300, ge=0, description="How far in the future an imported report's timestamp may be."
    )
    import_max_age_days: int = Field(
        400, ge=1, description="How old an imported report's timestamp may be."
    )
    import_tokens: list[str] = Field(
        default_factory=list,
        description="Tokens that allow reports and posts to carry their own timestamps (imports, replays over HTTP); tokens made with `rasd tokens` work too.",
    )
    ingest_tokens: list[str] = Field(
        default_factory=list,
        description="Tokens for pushing posts and probe results; tokens made with `rasd tokens` work too.",
    )
    requests_per_second: float = Field(
        50.0,
        gt=0,
        description="Sustained requests per second one client address may make to the write API.",
    )
    request_burst: int = Field(
        200, ge=1, description="Burst of requests one client address may make before being slowed."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of proxies whose X-Forwarded-For header is believed "
        "(none by default, not even 127.0.0.1).",
    )
    subscribe_confirm_hours: int = Field(
        48,
        ge=1,
        le=24 * 30,
        description="How long a subscription people make themselves waits for its confirmation "
        "link to be followed before it is forgotten.",
    )
    subscribe_per_hour: int = Field(
        10,
        ge=1,
        description="Most subscribe requests one /24 (IPv4) or /48 (IPv6) network may make per "
        "hour.",
    )
    subscribe_pending_max: int = Field(
        3,
        ge=1,
        description="Most subscriptions waiting for confirmation one webhook or apprise URL may "
        "have at once.",
    )
    impact_people_per_report_low: float = Field(
        65.0,
        gt=0,
        description="People likely hit per report above the usual level, low end of the range "
        "an event's impact is given as (docs/impact.md: calibrated on 4 October 2021).",
    )
    impact_people_per_report_high: float = Field(
        260.0,
        gt=0,
        description="People likely hit per report above the usual level, high end of the range.",
    )
    comments_per_hour: int = Field(
        6,
        ge=1,
        description="Most comments one /24 (IPv4) or /48 (IPv6) network may write an hour, "
        "over all service pages.",
    )
    comment_repeat_hours: int = Field(
        24,
        ge=1,
        description="A comment repeating a text its network sent within this many hours (or "
        "a longer text three networks sent) waits for a moderator.",
    )
    comment_retention_days: int = Field(
        90, ge=1, description="How long comments (shown, held or hidden) are kept."
    )
    raw_retention_hours: int = Field(72, ge=1, description="How long raw reports are kept.")
    minute_retention_days: int = Field(
        35,
        ge=1,
        description="How long per-minute counts are kept before being rolled into hourly counts (kept for ever).",
    )
    retention_interval_seconds: float = Field(
        600.0,
        gt=0,
        description="How often `rasd serve` prunes what is past its retention (raw reports, "
        "minute counts, the posts sample, comments), in the background.",
    )
    detect_lag_seconds: int = Field(
        5, ge=0, description="How long after a minute ends detection waits for its last reports."
    )
    history_days: int = Field(
        14, ge=1, description="Days of counts a detector learns from when it starts."
    )
    cluster: bool = Field(
        False,
        description="Run as part of a cluster: publish to NATS JetStream instead of counting in process.",
    )
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server of the cluster.")
    stream: str = Field("RASD", description="JetStream stream name of the cluster.")
    shards: int = Field(
        16,
        ge=1,
        le=1024,
        description="Shards of the cluster: each service belongs to one, each shard to one "
        "worker at a time. Fixed for the life of a stream.",
    )
    stream_replicas: int = Field(
        1,
        ge=1,
        le=5,
        description="Copies JetStream keeps of the stream: 3 on a three-node NATS cluster.",
    )
    stream_max_messages: int = Field(
        200_000,
        ge=100,
        description="Messages the stream holds before the API answers 503 (a batch request "
        "is one message per shard it touches).",
    )
    duplicate_window_seconds: float = Field(
        120.0, gt=0, description="How long JetStream remembers message ids to drop resubmissions."
    )
    publish_timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="How long the API waits for JetStream to confirm a write before it "
        "answers 503.",
    )
    lease_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a worker's hold on a shard, or on detection, lasts unless "
        "renewed: a dead worker's shards move to the others after this.",
    )
    ack_wait_seconds: float = Field(
        30.0,
        gt=0,
        description="How long JetStream waits for a worker's acknowledgement before it sends "
        "a message again.",
    )
    fetch_batch: int = Field(
        256, ge=1, le=10_000, description="Messages a worker takes from its shard at once."
    )
    gather_seconds: float = Field(
        1.0,
        ge=0,
        description="How long a worker's shard that keeps up lets messages gather between "
        "fetches: each group costs one count and one commit, so larger groups cost less a "
        "report, and what is acknowledged is counted up to this much later; 0: no wait.",
    )
    worker_name: str = Field(
        "", description="This worker's name in leases and logs; empty: host name and process id."
    )
    offline: bool = Field(
        False,
        description="Keep every live source (posts streams, status pages, BGP, the built-in prober) from contacting anything but loopback addresses; a source whose endpoint is on 127.0.0.1 still runs. Tests, CI and the demo turn it on.",
    )
    sources_enabled: bool = Field(
        True,
        description="Run the live sources in this process. In a cluster, turn it on in one API process only, so each outside feed is read once.",
    )
    prober_enabled: bool = Field(
        True,
        description="Probe the catalog's services from this server's own vantage point (DNS through the system's resolver and the services' authoritative servers, HTTPS with TLS), beside any remote probe agents.",
    )
    prober_vantage: str = Field(
        "rasd",
        min_length=1,
        pattern=r"^[^@\s]\S*$",
        description="The name of this server's vantage point in probe results.",
    )
    prober_max_checks_per_minute: float = Field(
        600.0,
        gt=0,
        description="Most checks the built-in prober runs a minute: the catalog's intervals are stretched to fit.",
    )
    prober_interval_scale: float = Field(
        1.0,
        gt=0,
        description="Multiplies every interval of the built-in prober (below 1: more often, still within the most checks a minute).",
    )
    prober_concurrency: int = Field(
        16, ge=1, description="Checks the built-in prober runs at once."
    )
    prober_resolvers: list[str] = Field(
        default_factory=list,
        description="Resolvers (ip[:port]) the built-in prober asks; empty: the system's own (never asked when offline).",
    )
    prober_authoritative_port: int = Field(
        53,
        ge=1,
        le=65535,
        description="Port of the authoritative name servers the built-in prober asks.",
    )
    prober_ca_file: str = Field(
        "",
        description="Extra CA certificates (PEM) the built-in prober trusts, for services on a private PKI.",
    )
    prober_canaries: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CANARIES),
        description="Unrelated targets (URL, tcp:host:port, dns:name[@resolver]) that tell whether this server's own link is up; when they all fail too, its probe failures count for nothing. Empty: believe every failure.",
    )
    check_now_enabled: bool = Field(
        True,
        description="The 'check it now' box: anyone may have this server check a service or web address at once (DNS, HTTPS, TLS).",
    )
    check_now_per_minute: int = Field(
        6, ge=1, description="Checks one /24 (IPv4) or /48 (IPv6) network may ask for a minute."
    )
    check_now_timeout_seconds: float = Field(
        6.0, gt=0, le=30, description="Deadline of one check, redirects included."
    )
    check_now_allow_networks: list[str] = Field(
        default_factory=list,
        description="Networks that are not public which checks may still reach; for tests of the server's own machine only (never a private network in real use: that would open it to anyone).",
    )
    jetstream_enabled: bool = Field(
        True,
        description="Read Bluesky posts live from Jetstream (the first of `jetstream_urls` that answers).",
    )
    jetstream_urls: list[str] = Field(
        default_factory=lambda: list(JETSTREAM_URLS),
        description="Jetstream v1 /subscribe endpoints, tried in turn when one fails (the public instances by default).",
    )
    jetstream_rewind_seconds: float = Field(
        5.0,
        ge=0,
        le=3600,
        description="How far before its stored cursor Jetstream resumes after a disconnect or restart (instances' clocks differ a little); posts read twice count once.",
    )
    jetstream_queue_max: int = Field(
        10_000,
        ge=1,
        description="Jetstream messages read but not yet handled, at most; past it the connection is let go and taken up again from the cursor once they are handled.",
    )
    jetstream_zstd_dictionary: str = Field(
        "",
        description="File of Jetstream's zstd dictionary: when given, messages come compressed (about half the bytes); empty: plain JSON.",
    )
    mastodon_instances: list[MastodonInstance] = Field(
        default_factory=list,
        description='Mastodon servers whose streams are read live, each {"url", "token", "streams"}: a user token with read:statuses (public streams need one since Mastodon 4.2), streams among public, public:local, public:remote, hashtag:TAG, hashtag:local:TAG (default ["public"]). Empty: no Mastodon source.',
    )
    mastodon_backfill_pages: int = Field(
        10,
        ge=0,
        le=1000,
        description="After a gap in a Mastodon stream, most pages of 40 statuses fetched from its timeline to fill it (within the server's rate limit).",
    )
    status_pages_enabled: bool = Field(
        True,
        description="Read the official status pages the catalog names (Statuspage, incident.io, Instatus, Google, Slack, RSS/Atom, or a plain check of the page) as the `official` signal and the timeline's official updates.",
    )
    status_interval_seconds: float = Field(
        300.0, ge=10, description="How often each status page is read."
    )
    status_hot_interval_seconds: float = Field(
        60.0,
        ge=5,
        description="How often a status page is read while an incident is open on one of its services (in Rasd or on the page).",
    )
    status_concurrency: int = Field(32, ge=1, description="Status pages read at once.")
    status_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest a status page may take to answer in full."
    )
    status_max_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description="Largest status page body read, in bytes; a larger one is a failed read.",
    )
    ris_live_enabled: bool = Field(
        True,
        description="Read BGP updates of the catalog owners' prefixes from RIPE RIS Live (routing outages: an owner's name servers' routes withdrawn).",
    )
    ris_live_url: str = Field(
        "wss://ris-live.ripe.net/v1/ws/", description="The RIS Live WebSocket address."
    )
    ris_live_client: str = Field(
        "rasd",
        description="The client name RIS Live is told (its `client` parameter), so its operators know who connects.",
    )
    ris_live_ping_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds between the pings sent to RIS Live to keep the connection alive.",
    )
    ris_live_silence_seconds: float = Field(
        120.0,
        gt=0,
        description="Seconds without any message from RIS Live after which the connection is opened again.",
    )
    routes_lost_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="An owner's routes count as gone when fewer than this share of the peers that usually see its name servers' prefixes (else its prefixes) still do.",
    )
    routes_hold_minutes: int = Field(
        2,
        ge=1,
        description="Minutes running the routes must stay gone before they are evidence of an outage.",
    )
    post_sample_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 30,
        description='How long the complaint posts a service page shows as "what people are saying" are kept.',
    )
    post_sample_per_service: int = Field(
        100,
        ge=1,
        le=10_000,
        description='Most complaint posts kept per service for "what people are saying" (the newest stay).',
    )
    minute_marks: Literal["clock", "external"] = Field(
        "clock",
        description="Who says a minute is over in the cluster: `clock` (the detecting worker, "
        "on the system clock) or `external` (a replay, which publishes the marks itself).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def describe() -> list[dict[str, Any]]:
    """Every setting with its name, default and help: the data `docs/settings.md` is checked against."""
    out = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        out.append(
            {
                "name": name,
                "env": f"RASD_{name.upper()}",
                "default": default,
                "help": field.description,
            }
        )
    return out
