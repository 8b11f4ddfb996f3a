"""Waiting for a server the tests started (the dashboard's service, its container) to answer a JSON endpoint."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest


def get_json(url: str, timeout: float, why_not: Callable[[], str], alive: Callable[[], None] = lambda: None,
             every: float = 0.5) -> tuple[int, dict]:
    """(status, JSON) of a GET once the server answers; ``alive`` fails the test early when the server died,
    ``why_not`` says what it printed when it never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())
        except (urllib.error.URLError, OSError):
            time.sleep(every)  # polling a port: there is no event to wait on
    pytest.fail(f"no answer from {url} within {timeout:.0f} s:\n{why_not()}")
