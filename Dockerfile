# Build:  docker build -t known-issue .
# Run in Socket Mode (no public URL needed); the volume keeps the state database
# (which messages were answered, votes) across restarts:
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN \
#     -v known-issue-state:/app/.known-issue known-issue
# Run in HTTP mode, behind an HTTPS proxy that forwards /slack/events:
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET \
#     -v known-issue-state:/app/.known-issue known-issue \
#     known-issue serve --http --port 3000
# `docker stop` sends SIGTERM: the bot finishes the answers in progress and exits.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The package first, so editing the knowledge does not reinstall dependencies.
COPY pyproject.toml README.md ./
COPY bot/ bot/
RUN pip install .

COPY knowledge/ knowledge/

# The knowledge database is built at start-up; only its directory is writable.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app known-issue \
    && mkdir /app/.known-issue \
    && chown known-issue /app/.known-issue
USER known-issue

EXPOSE 3000

# Only HTTP mode has an endpoint to probe; in Socket Mode the check passes. The
# port is read from the running command, the same way the CLI reads it. /healthz
# says 503 until the knowledge is loaded, which fails the check until then.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; a = open('/proc/1/cmdline', 'rb').read().decode().split('\0'); port = a[a.index('--port') + 1] if '--port' in a else '3000'; '--http' in a and urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=3)"

CMD ["known-issue", "serve"]
