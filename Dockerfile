# syntax=docker/dockerfile:1
# Loom Portal: one image for every process in the Procfile (web, worker, beat, release).
#   docker build -t loom-portal:$(git rev-parse --short HEAD) .
# Stage 1 builds the virtualenv (compilers live only here); stage 2 collects static files with the
# production storage (hashed names + manifest); the final stage has neither build tools nor root.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: dependencies into /opt/venv --------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
# The exact pins of [project].dependencies; the portal itself runs from /app, not site-packages.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install --requirement requirements.txt

# ---- static: collectstatic with the production (manifest) storage -------------------------------
FROM build AS static
WORKDIR /app
COPY . .
# A throwaway key: collectstatic needs production settings to load, not a real secret.
RUN LOOM_ENV=production \
    SECRET_KEY=collectstatic-build-only-key-not-used-at-runtime-0123456789 \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput

# ---- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=loom_portal.settings \
    LOOM_ENV=production \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus-metrics
RUN groupadd --system --gid 10001 loom \
 && useradd --system --uid 10001 --gid loom --home-dir /app --shell /usr/sbin/nologin loom
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root --from=static /app /app
RUN rm -f /app/db.sqlite3
USER 10001:10001
EXPOSE 8000
# Answers 200 when the database, cache and broker answer (loom_portal.health). Only the web process
# listens: run worker/beat containers with --no-healthcheck (Container Apps uses its own probes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"]
# The web process of the Procfile; worker, beat and release override the command.
CMD ["sh", "-c", "exec gunicorn loom_portal.wsgi --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile - --forwarded-allow-ips '*'"]
