"""utils.config: the settings read from the environment (``BOOK_QUICK``, ``BOOK_SEED``)."""

from __future__ import annotations

import pytest

from utils import config


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_flag_parsing(monkeypatch, value, expected):
    monkeypatch.setenv(config.QUICK_ENV, value)
    assert config.quick_mode() is expected


def test_quick_flag_rejects_nonsense(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="BOOK_QUICK"):
        config.quick_mode()


def test_the_build_seed_is_the_environment_s_even_after_setup_chose_another(monkeypatch):
    # the execution cache is keyed on the seed a build runs with, not on one a notebook passed to setup()
    monkeypatch.setenv("BOOK_SEED", "7")
    config.use_seed(123)
    assert config.book_seed() == 123
    assert config.environment_seed() == 7
    monkeypatch.delenv("BOOK_SEED")
    assert config.environment_seed() == config.DEFAULT_SEED
