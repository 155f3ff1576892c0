"""Settings are declared as data; each one is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from rasd.settings import Settings, describe

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


@pytest.mark.parametrize("setting", describe(), ids=lambda s: s["name"])
def test_each_setting_has_help_and_is_documented(setting: dict[str, object]) -> None:
    assert setting["help"], f"{setting['name']} has no help text"
    text = DOC.read_text(encoding="utf-8")
    assert f"`{setting['name']}`" in text, f"{setting['name']} is not in docs/settings.md"
    assert f"`{setting['env']}`" in text


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASD_PORT", "9123")
    monkeypatch.setenv("RASD_IMPORT_TOKENS", '["a", "b"]')
    settings = Settings()
    assert settings.port == 9123
    assert settings.import_tokens == ["a", "b"]


def test_unknown_or_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASD_DEDUPE_MINUTES", "0")
    with pytest.raises(ValueError, match="dedupe_minutes"):
        Settings()
