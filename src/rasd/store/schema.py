"""Tables, in SQLAlchemy Core, shared by every database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Table as _Table

metadata = MetaData()

series = _Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(64), nullable=False),
    Column("signal", String(64), nullable=False),
    Column("region", String(160), nullable=False),
    UniqueConstraint("service", "signal", "region", name="uq_series_key"),
)
Index("ix_series_service", series.c.service)

# Minutes of counts kept together on disk: a slot is `minute // SLOT_MINUTES`.
SLOT_MINUTES = 15

# One row per series per minute with reports; `minute` is whole minutes since the epoch.
# Rows are kept in order of quarter hour first, then series, then minute: a minute's rows
# land in the last quarter hour's pages, so a commit of a busy minute (thousands of series)
# writes a few hundred pages rather than one per series (the log of the reference day at
# 80 MB a commit), while one series over a day is still 96 short runs of rows.
counts = _Table(
    "counts",
    metadata,
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("minute", BigInteger, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_counts_minute", counts.c.minute)

# Roll-ups kept for ever once minute counts are pruned.
counts_hourly = _Table(
    "counts_hourly",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("hour", BigInteger, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# Raw reports, kept for a configurable time, as column blobs of one accepted batch each:
# ten million rows a day cost more to insert one by one than everything else together.
report_batches = _Table(
    "report_batches",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("first_ms", BigInteger, nullable=False),
    Column("last_ms", BigInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Column("counted", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("shard", SmallInteger, nullable=True),
)
# also what a shard taken over rebuilds its windows from: the recent range, its own rows
# filtered on the way (PostgreSQL's plan; an index by shard went unused, and costs every insert)
Index("ix_report_batches_last", report_batches.c.last_ms)

# Message ids already applied: a redelivered message is never counted twice.
applied = _Table(
    "applied",
    metadata,
    Column("msg_id", String(128), primary_key=True),
    Column("applied_ms", BigInteger, nullable=False),
)
Index("ix_applied_ms", applied.c.applied_ms)

incidents = _Table(
    "incidents",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("service", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
    Column("event_id", String(128), nullable=True),
    Column("data", Text, nullable=False),
)
Index("ix_incidents_service_start", incidents.c.service, incidents.c.start_ms)
# the open incidents (every page, feed and badge asks), and a state's page, newest first
Index("ix_incidents_state_start", incidents.c.state, incidents.c.start_ms)

events = _Table(
    "events",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
)
Index("ix_events_start", events.c.start_ms)
Index("ix_events_state_start", events.c.state, events.c.start_ms)  # a state's page

# Small named blobs: detector state, watermarks.
state = _Table(
    "state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

tokens = _Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("hash", String(128), nullable=False, unique=True),
    Column("scope", String(32), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

# -- telling people (rasd.notify): subscriptions, their deliveries, official statements ------

# Who wants to hear about what: an apprise URL or a signed webhook, for one service, one owner,
# one country or everything (`scope_kind` "all" with an empty `scope_value`), from a level up.
subscriptions = _Table(
    "subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("secret", String(128), nullable=True),
    Column("scope_kind", String(16), nullable=False),
    Column("scope_value", String(64), nullable=False),
    Column("min_level", Integer, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
)
Index("ix_subscriptions_scope", subscriptions.c.scope_kind, subscriptions.c.scope_value)

# One message to one subscription; `status` is pending, sent, dead (the dead-letter list) or
# cancelled (a resolve withdrawn because the service failed again before it was sent).
deliveries = _Table(
    "deliveries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("subscription_id", String(32), nullable=False),
    Column("dedupe", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("service", String(64), nullable=False),
    Column("incident_id", String(128), nullable=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_ms", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("sent_ms", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("subscription_id", "dedupe", name="uq_deliveries_dedupe"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_ms)

# What a service's operator said, on the incident's timeline (Statuspage's incident updates).
statements = _Table(
    "statements",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("service", String(64), nullable=False),
    Column("incident_id", String(128), nullable=True),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
Index("ix_statements_service", statements.c.service, statements.c.created_ms)
Index("ix_statements_incident", statements.c.incident_id)

# A subscription its owner asked for, waiting for the owner to follow the link sent through its
# own channel: the token's SHA-256 only, and until when it holds. `confirmed_ms` is set once it
# is followed (the subscription is active then); a refused or lapsed one loses its row.
confirmations = _Table(
    "confirmations",
    metadata,
    Column("subscription_id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("confirmed_ms", BigInteger, nullable=True),
    UniqueConstraint("token_hash", name="uq_confirmations_token"),
)
Index("ix_confirmations_expires", confirmations.c.expires_ms)

# What providers' own status pages said (rasd.sources.status), one row per incident update:
# `id` is made from the page and the provider's incident and update ids, so an update read
# twice, by two polls or after a restart, is one row. `at_ms` is the provider's time, `seen_ms`
# when Rasd read it; `approximate` marks times a scenario took from a public record that gives
# them roughly.
official_updates = _Table(
    "official_updates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("service", String(64), nullable=False),
    Column("page", String(500), nullable=False),
    Column("incident_ref", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("impact", Integer, nullable=True),
    Column("maintenance", Boolean, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("url", Text, nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("seen_ms", BigInteger, nullable=False),
    Column("approximate", Boolean, nullable=False),
)
Index("ix_official_updates_service", official_updates.c.service, official_updates.c.at_ms)

# "What people are saying": a sample of complaint posts from the live streams, per service,
# kept for `post_sample_hours` and at most `post_sample_per_service` a service. Only what a
# page shows: text, language, when, and the link to the original post.
post_samples = _Table(
    "post_samples",
    metadata,
    Column("service", String(64), primary_key=True),
    Column("post_key", String(200), primary_key=True),
    Column("text", Text, nullable=False),
    Column("lang", String(35), nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("link", String(500), nullable=True),
    Column("label", String(16), nullable=False),
    Column("source", String(100), nullable=False),
)
Index("ix_post_samples_service", post_samples.c.service, post_samples.c.at_ms)
Index("ix_post_samples_at", post_samples.c.at_ms)

# What people said on a service's page (rasd.comments). `state` is shown, held (waiting for a
# moderator, `reason` says why) or hidden. `network` is a hash of the sender's /24 or /48,
# never the address: it lets the queue be read by network and repeated text be caught.
# `fingerprint` is a hash of the text folded (case, spacing, punctuation), for repeats.
comments = _Table(
    "comments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("service", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("problem", String(32), nullable=True),
    Column("country", String(2), nullable=True),
    Column("lang", String(16), nullable=True),
    Column("state", String(8), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("network", String(16), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("decided_ms", BigInteger, nullable=True),
)
Index("ix_comments_service", comments.c.service, comments.c.state, comments.c.created_ms)
Index("ix_comments_state", comments.c.state, comments.c.created_ms)
Index("ix_comments_fingerprint", comments.c.fingerprint, comments.c.created_ms)
