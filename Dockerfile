# syntax=docker/dockerfile:1
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var \
    PORT=8000

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic needs settings that import; these build-time values are never used at run time.
RUN DEBUG=False SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only ALLOWED_HOSTS=build \
    ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3Qtc2VjcmV0LWJ1aWxkLW9ubHk= \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --create-home --uid 10001 helpdesk \
    && mkdir -p /app/var \
    && chown -R helpdesk:helpdesk /app/var
USER helpdesk

VOLUME ["/app/var"]
EXPOSE 8000

# The probe names a host the site serves (the first of ALLOWED_HOSTS): Django answers 400 to any other Host.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.').replace('*', '') or 'localhost'; urllib.request.urlopen(urllib.request.Request(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', headers={'Host': host}), timeout=2)"

# Migrations run as a separate step in production (`docker run ... python manage.py migrate`).
# The same image runs the background work; override the command (and the HEALTHCHECK, which probes the web port):
#   worker: celery -A helpdesk worker --loglevel INFO      beat (exactly one): celery -A helpdesk beat --loglevel INFO
# compose.yaml runs the whole layout.
CMD ["sh", "-c", "exec gunicorn helpdesk.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3}"]
