"""The dashboard as a service runs it: every page of dashboard.py, plus a health check URL for monitoring.

`streamlit run serve.py` (the systemd unit and the container do) serves the pages as `streamlit run dashboard.py`
does, and GET /api/health: 200 and {"status": "ok", …} when the database opens and the audit trail verifies, else
503 and "fail" (analytics.health; only states and counts: `python -m analytics health` on the server says why).
Streamlit 1.67's st.App takes extra Starlette routes beside its own. A check runs at most once every
CACHE_SECONDS, one at a time, off the event loop: reading a long trail takes a while, and the URL may be polled
often by anyone the proxy lets through.
"""

import threading
import time

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from analytics import health
from analytics.config import database_path

CACHE_SECONDS = 30.0


class RecentCheck:
    """The last health check, reused for CACHE_SECONDS; callers arriving during a check wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -CACHE_SECONDS
        self._found: health.Health | None = None

    def get(self) -> health.Health:
        with self._lock:
            if self._found is None or time.monotonic() - self._at >= CACHE_SECONDS:
                self._found, self._at = health.check(database_path()), time.monotonic()
            return self._found


_recent = RecentCheck()


async def health_check(request: Request) -> JSONResponse:
    found = await run_in_threadpool(_recent.get)
    return JSONResponse(found.public(), status_code=200 if found.ok else 503, headers={"Cache-Control": "no-store"})


app = st.App("dashboard.py", routes=[Route("/api/health", health_check, methods=["GET"])])
