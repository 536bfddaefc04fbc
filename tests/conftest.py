"""Shared pytest settings: every test starts without a seed left behind by another test's ``utils.setup()``."""

import pytest

from utils import config


@pytest.fixture(autouse=True)
def _forget_the_active_seed():
    config.use_seed(None)
    yield
    config.use_seed(None)
