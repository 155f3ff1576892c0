"""Assertions shared by many tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def assert_error_shape(body: Any) -> dict[str, Any]:
    """Every error is `{"error": {"code", "message", "details"}}` and nothing else."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list | dict)
    return dict(error)


def write_mmdb(path: Path, records: dict[str, dict[str, Any]], kind: str = "GeoLite2-ASN") -> Path:
    """A MaxMind-format file mapping each network (CIDR) to its record, made as the
    operator's files are (IPv6 tree, IPv4 inside it)."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type=kind, ipv4_compatible=True)
    for cidr, record in records.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


def crowd_address(n: int) -> str:
    """The n-th of many people's addresses, spread over the 512 /24 networks of the range kept
    for benchmarks (198.18.0.0/15): a crowd counts whole, while one network's share stays
    under the per-network cap of counting (network_limit)."""
    network, host = n % 512, n // 512 % 254 + 1
    return f"198.{18 + network // 256}.{network % 256}.{host}"
