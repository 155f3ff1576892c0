"""What travels on the cluster's log: payloads as bytes, and which shard each part goes to.

Reports travel as msgpack of their column arrays (raw bytes plus string tables), so a batch of
ten thousand costs one copy per column, not ten thousand objects; posts and probe results as
msgpack of their msgspec structs. A shard is a stable hash of the service id modulo the number
of shards: the same service always lands on the same shard, in every process, on every run.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
import numpy as np

from rasd.signals.probes import ProbeResult
from rasd.signals.reports import ReportColumns, as_columns, columns_from, columns_payload

REPORTS = "reports"
POSTS = "posts"
PROBES = "probes"
MARK = "mark"
KINDS = (REPORTS, POSTS, PROBES)

_ENCODER = msgspec.msgpack.Encoder()
_RAW_DECODER = msgspec.msgpack.Decoder()
_PROBES_DECODER = msgspec.msgpack.Decoder(list[ProbeResult])
_MARK_DECODER = msgspec.msgpack.Decoder(int)


class CodecError(ValueError):
    """A message on the log that cannot be read back."""


def shard_of(key: str, shards: int) -> int:
    """Stable across processes and runs, unlike hash()."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


# -- splitting ---------------------------------------------------------------------------------


def split(kind: str, payload: Any, shards: int, msg_id: str) -> dict[int, Any]:
    """The parts of one payload per shard; empty parts are left out."""
    if kind == REPORTS:
        return split_reports(as_columns(payload), shards)
    if kind == PROBES:
        parts: dict[int, list[ProbeResult]] = {}
        for result in payload:
            parts.setdefault(shard_of(result.service, shards), []).append(result)
        return parts
    if kind == POSTS:
        # a post names its services only once read, so any shard may count it; counts add up
        return {shard_of(msg_id, shards): list(payload)} if payload else {}
    raise CodecError(f"nothing is published as {kind!r}")


def split_reports(cols: ReportColumns, shards: int) -> dict[int, ReportColumns]:
    if len(cols) == 0:
        return {}
    table = np.array([shard_of(s, shards) for s in cols.services], np.int64)
    of_row = table[cols.service]
    present = np.unique(of_row).tolist()
    if len(present) == 1:
        return {int(present[0]): _compact(cols, np.arange(len(cols)))}
    return {int(s): _compact(cols, np.flatnonzero(of_row == s)) for s in present}


def _compact(cols: ReportColumns, rows: np.ndarray[Any, Any]) -> ReportColumns:
    """The chosen rows, with string tables cut down to the entries they use."""
    service_codes, service = np.unique(cols.service[rows], return_inverse=True)
    problem_codes, problem = np.unique(cols.problem[rows], return_inverse=True)
    place_codes, place = np.unique(cols.place[rows], return_inverse=True)
    asn = None
    asns: tuple[str, ...] = ()
    if cols.asn is not None:
        asn_codes, asn_index = np.unique(cols.asn[rows], return_inverse=True)
        asn = asn_index.astype(np.int32)
        asns = tuple(cols.asns[i] for i in asn_codes.tolist())
    return ReportColumns(
        ts_ms=cols.ts_ms[rows],
        service=service.astype(np.int32),
        problem=problem.astype(np.int16),
        place=place.astype(np.int32),
        reporter=cols.reporter[rows],
        network=cols.network[rows],
        services=tuple(cols.services[i] for i in service_codes.tolist()),
        problems=tuple(cols.problems[i] for i in problem_codes.tolist()),
        places=tuple(cols.places[i] for i in place_codes.tolist()),
        asn=asn,
        asns=asns,
    )


# -- bytes -------------------------------------------------------------------------------------


def encode(kind: str, payload: Any) -> bytes:
    if kind == REPORTS:
        return encode_reports(payload)
    if kind in (POSTS, PROBES):
        return _ENCODER.encode(list(payload))
    if kind == MARK:
        return _ENCODER.encode(int(payload))
    raise CodecError(f"nothing is published as {kind!r}")


def decode(kind: str, data: bytes) -> Any:
    try:
        if kind == REPORTS:
            return decode_reports(data)
        if kind == PROBES:
            return _PROBES_DECODER.decode(data)
        if kind == POSTS:
            return _posts_decoder().decode(data)
        if kind == MARK:
            return _MARK_DECODER.decode(data)
    except (msgspec.DecodeError, KeyError, ValueError, TypeError) as exc:
        raise CodecError(f"a {kind} message does not decode: {exc}") from exc
    raise CodecError(f"unknown kind {kind!r}")


def encode_reports(cols: ReportColumns) -> bytes:
    return _ENCODER.encode(columns_payload(cols))


def decode_reports(data: bytes) -> ReportColumns:
    return columns_from(_RAW_DECODER.decode(data))


_posts: Any = None


def _posts_decoder() -> Any:
    # the posts signal pulls in the text machinery; only processes that read posts pay for it
    global _posts
    if _posts is None:
        from rasd.signals.posts import Post

        _posts = msgspec.msgpack.Decoder(list[Post])
    return _posts
