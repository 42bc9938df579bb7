# pointbot: python -m bot in a slim image, as a non-root user, with the database on a volume.
# The install step is the README's (pip install .); no Docker engine runs in CI, so CI lints
# this file with hadolint instead of building it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATABASE=/data/pointbot.sqlite3 \
    POINTBOT_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz

RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin pointbot \
    && mkdir /data \
    && chown pointbot:pointbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
RUN pip install --no-compile .

USER 10001:10001
VOLUME ["/data"]
# Needs the web server enabled ([web]) and listening at POINTBOT_HEALTHCHECK_URL; no curl in
# the slim image, so Python's urllib asks (a 503 raises, and the check fails).
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['POINTBOT_HEALTHCHECK_URL'], timeout=8)"]
CMD ["python", "-m", "bot"]
