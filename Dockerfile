# The dashboard in a container, for offices that run containers: `streamlit run serve.py` (every page and
# /api/health) as an unprivileged user. The data folder (database, audit trail, backups, accounts) is the volume
# /data; the audit key is the volume /key, kept apart from the data (README "Running it on an intranet").
# Build where there is network, then carry the image inside (docker save / docker load).
#
#   docker build -t political-ecology-dashboard .
#   docker run -d --name dashboard --restart on-failure --network host \
#       -v dashboard-data:/data -v dashboard-key:/key political-ecology-dashboard
#
# With --network host it listens on the host's 127.0.0.1:8501 behind the office's reverse proxy, as the systemd
# service does (the proxy's X-Forwarded-For is trusted from 127.0.0.1 only). --build-arg WITH_BROWSER=0 leaves out
# Chromium and the Chinese fonts: then every export but PDF and the Word charts works.
FROM python:3.11-slim-bookworm

ARG WITH_BROWSER=1
RUN set -eux; \
    if [ "$WITH_BROWSER" = 1 ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends chromium fonts-noto-cjk; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin dashboard; \
    mkdir -p /data /key; \
    chown dashboard:dashboard /data /key; \
    chmod 700 /data /key

COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir --disable-pip-version-check -r /app/requirements.txt

COPY .streamlit /app/.streamlit
COPY analytics /app/analytics
COPY app_pages /app/app_pages
COPY data/access.toml data/ledger.toml data/scoring.toml /app/data/
COPY dashboard.py serve.py README.md /app/
RUN python -m compileall -q /app

ENV DASHBOARD_DB=/data/dashboard.duckdb \
    DASHBOARD_USERS=/data/users.json \
    DASHBOARD_AUDIT_KEY=/key/audit.key \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STREAMLIT_SERVER_ADDRESS=127.0.0.1 \
    STREAMLIT_SERVER_PORT=8501
VOLUME ["/data", "/key"]
USER dashboard
WORKDIR /app
EXPOSE 8501
# 503 (unhealthy) when the database does not open or the audit trail does not verify
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ['STREAMLIT_SERVER_PORT'], timeout=25)"
CMD ["python", "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.fileWatcherType", "none"]
