"""Reporter and network keys: 64-bit hashes, as ingest sees them."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: U64) -> U64:
    """SplitMix64's finaliser: distinct inputs give distinct, well-spread outputs."""
    # array arithmetic on uint64 wraps around silently, which is what a hash wants
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    result: U64 = z ^ (z >> np.uint64(31))
    return result


def salt(*parts: object) -> int:
    """A stable 64-bit number from names (Python's hash() changes between runs)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def networks(salt_: int, country: npt.NDArray[np.int64], index: npt.NDArray[np.int64]) -> U64:
    """The /24 a reporter is on: network `index` of its country's pool."""
    code = (country.astype(np.uint64) << np.uint64(40)) | index.astype(np.uint64)
    return mix64(code ^ np.uint64(salt_))
