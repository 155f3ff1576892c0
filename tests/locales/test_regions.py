"""The region a browser's languages name, which defaults a comment's country."""

from __future__ import annotations

from rasd.locale.regions import region_of


def test_the_region_of_the_browser_language_defaults_the_country() -> None:
    assert region_of("ar-EG,ar;q=0.9") == "EG"
    assert region_of("zh-Hant-TW") == "TW"
    assert region_of("en") is None
    assert region_of("en_GB") == "GB"
    assert region_of(None) is None
