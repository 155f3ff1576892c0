"""Networks of client addresses, from MMDB files built here in the layouts real ones have."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests_support import write_mmdb

from rasd.catalog import load_catalog
from rasd.clock import VirtualClock
from rasd.ingest.networks import Network, NetworkDirectory, network_of_label
from rasd.ingest.places import Places
from rasd.ingest.reports import ReportIn, ReportValidator

VODAFONE = {"autonomous_system_number": 24835, "autonomous_system_organization": "Vodafone Egypt"}
TE_DATA = {"autonomous_system_number": 8452, "autonomous_system_organization": "TE Data"}


@pytest.fixture
def asn_file(tmp_path: Path) -> Path:
    return write_mmdb(
        tmp_path / "asn.mmdb",
        {
            "41.32.0.0/12": TE_DATA,
            "197.192.0.0/13": VODAFONE,
            "2c0f:fc89::/32": VODAFONE,
            # a name with the label's separator in it must not break the label
            "198.51.100.0/24": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": "Odd | Name\n  Ltd",
            },
        },
    )


@pytest.fixture
def country_file(tmp_path: Path) -> Path:
    return write_mmdb(
        tmp_path / "country.mmdb",
        {
            "41.0.0.0/8": {"country": {"iso_code": "EG"}},
            "197.0.0.0/8": {"country": {"iso_code": "eg"}},
        },
        kind="GeoLite2-Country",
    )


def test_asn_and_country_from_two_files(asn_file: Path, country_file: Path) -> None:
    directory = NetworkDirectory([asn_file, country_file])
    assert directory.available
    assert directory.data.kinds == ("GeoLite2-ASN", "GeoLite2-Country")
    assert directory.lookup("197.199.3.4") == Network(24835, "Vodafone Egypt", "EG")
    assert directory.lookup("41.33.1.1") == Network(8452, "TE Data", "EG")
    assert directory.lookup("2c0f:fc89:12::1") == Network(24835, "Vodafone Egypt", None)
    assert directory.lookup("8.8.8.8") is None
    assert directory.lookup("not an address") is None
    assert Network(24835, "Vodafone Egypt", "EG").title == "Vodafone Egypt, AS24835"


def test_labels_read_back_and_hold_no_address(asn_file: Path, country_file: Path) -> None:
    directory = NetworkDirectory([asn_file, country_file])
    label = directory.label("197.199.3.4")
    assert label == "AS24835|EG|Vodafone Egypt"
    assert "197" not in label
    assert network_of_label(label) == Network(24835, "Vodafone Egypt", "EG")
    odd = directory.label("198.51.100.9")
    assert network_of_label(odd) == Network(64500, "Odd Name Ltd", None)
    assert directory.label("8.8.8.8") == ""
    assert directory.label("testclient") == ""
    assert network_of_label("") is None


def test_other_layouts_ipinfo_and_flat_country(tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "lite.mmdb",
        {
            "197.192.0.0/13": {"asn": "AS24835", "as_name": "Vodafone Egypt", "country_code": "EG"},
            "203.0.113.0/24": {"asn": "none", "as_name": "x"},
            "192.0.2.0/24": {"asn": True},
        },
        kind="ipinfo lite",
    )
    directory = NetworkDirectory([path])
    assert directory.lookup("197.192.0.1") == Network(24835, "Vodafone Egypt", "EG")
    assert directory.lookup("203.0.113.1") is None
    assert directory.lookup("192.0.2.1") is None


def test_no_file_is_no_network_data() -> None:
    directory = NetworkDirectory()
    assert not directory.available
    assert directory.data.files == ()
    assert directory.label("197.199.3.4") == ""


def test_the_validator_gives_each_report_its_network(asn_file: Path, country_file: Path) -> None:
    catalog = load_catalog()
    validator = ReportValidator(
        catalog,
        Places.default(),
        VirtualClock(datetime(2021, 10, 4, 12, 0, tzinfo=UTC)),
        networks=NetworkDirectory([asn_file, country_file]),
    )
    report = ReportIn(service="whatsapp", problem="messages", reporter="r", country="EG")
    row = validator.to_row(report, client_ip="197.199.3.4", trusted=False)
    assert row.asn == "AS24835|EG|Vodafone Egypt"
    # an import names each report's own address; the others take the client's
    imported = ReportIn(
        service="whatsapp", problem="messages", reporter="s", country="EG", ip="41.33.1.1"
    )
    cols = validator.to_columns([report, imported], client_ip="197.199.3.4", trusted=True)
    assert cols.asn is not None
    assert [cols.asns[i] for i in cols.asn.tolist()] == [
        "AS24835|EG|Vodafone Egypt",
        "AS8452|EG|TE Data",
    ]
    unknown = validator.to_columns([report], client_ip="8.8.8.8", trusted=False)
    assert unknown.asn is None and unknown.asns == ()
