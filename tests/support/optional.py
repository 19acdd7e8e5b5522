"""Optional dependencies in tests: skip cleanly when absent, but fail on CI.

CI installs every extra (``.ci/run`` sets ``CI``), so there a missing package is a broken
installation, not a reason to skip.
"""

from __future__ import annotations

import importlib
import os

import pytest


def need(module: str, extra: str):
    """Import ``module``; skip the test when it is missing, or fail when ``CI`` is set."""
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{module} is not installed (pip install -e '.[{extra}]')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run these tests")
        pytest.skip(message)
