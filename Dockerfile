# syntax=docker/dockerfile:1
# citygate's image: `citygate` is the entry point (default command: a worker), run as a non-root user.
#
#   docker build -t citygate:0.1.0 .
#   docker run --rm -e KAFKA_BOOTSTRAP=broker:9092 citygate:0.1.0 topics list
#
# The base is pinned to one CPython release on one Debian release; pin its digest too where the registry
# is reachable (`python:3.11.14-slim-bookworm@sha256:…`). Dependencies come from deploy/docker/requirements.lock
# (exact versions and hashes, deploy/docker/lock.py), never resolved at build time.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/citygate
COPY deploy/docker/requirements.lock /tmp/requirements.lock
RUN /opt/citygate/bin/pip install --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
# Built with the locked setuptools, without fetching another: the package alone, its dependencies are in.
RUN /opt/citygate/bin/pip install --no-deps --no-build-isolation . \
 && /opt/citygate/bin/pip uninstall --yes setuptools pip \
 && /opt/citygate/bin/citygate --version

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 citygate \
 && useradd --system --uid 10001 --gid citygate --home-dir /var/lib/citygate --shell /usr/sbin/nologin citygate \
 && install -d -o citygate -g citygate -m 0750 /var/lib/citygate
COPY --from=build /opt/citygate /opt/citygate
ENV PATH=/opt/citygate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CITYGATE_DATA_DIR=/var/lib/citygate \
    CITYGATE_WEB_HOST=0.0.0.0 \
    CITYGATE_WEB_PORT=6066
USER 10001:10001
WORKDIR /var/lib/citygate
EXPOSE 6066
# /health is 200 once the watchlist replica is complete and hears from the cluster (docs/operations.md);
# urlopen raises on a 503, so the check fails with it. The start period covers table recovery.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CITYGATE_WEB_PORT', '6066') + '/health', timeout=2)"]
ENTRYPOINT ["citygate"]
CMD ["worker"]
