# pointbot: python -m bot in a slim image, as a non-root user, with the database on a volume.
# The install step is the README's (pip install .); no Docker engine runs in CI, so CI lints
# this file with hadolint instead of building it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATABASE=/data/pointbot.sqlite3

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
CMD ["python", "-m", "bot"]
