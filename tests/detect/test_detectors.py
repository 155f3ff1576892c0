"""The one shared suite: every registered detector passes every check."""

from __future__ import annotations

import pytest

from rasd.detect import registry
from rasd.detect.checks import CHECKS


@pytest.mark.parametrize("check", list(CHECKS), ids=list(CHECKS))
@pytest.mark.parametrize("name", registry.names())
def test_detector_passes_check(name: str, check: str) -> None:
    CHECKS[check](lambda seed: registry.make(name, seed=seed))


def test_registry_has_production_and_general_detectors() -> None:
    assert {"seasonal", "zscore", registry.DEFAULT_SERIES_DETECTOR} <= set(registry.names())


def test_unknown_detector_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="known: seasonal"):
        registry.make("nope")
