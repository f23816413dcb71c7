# AJIB server image: one image for every role (API, worker, notifier, migrations); compose.yaml says which.
# Not built on the project's machines (no container daemon there): see docs/deploy.md for what was exercised.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/var/cache/ajib/numba \
    AJIB_STATE_DIR=/var/lib/ajib \
    AJIB_SHARED_DIR=/srv/ajib-shared \
    AJIB_LOG_FORMAT=json

# libgomp: OR-Tools' and numba's OpenMP runtime; everything else comes as manylinux wheels
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY dispatch ./dispatch
COPY routing ./routing
COPY maps ./maps
COPY data ./data
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /var/lib/ajib ajib \
 && mkdir -p /var/lib/ajib /var/cache/ajib/numba /srv/ajib-shared \
 && chown -R ajib /var/lib/ajib /var/cache/ajib
# compile the routing kernels once, into the image (otherwise every worker compiles them on its first solve)
RUN su ajib -s /bin/sh -c "python -c 'from routing.kernels import warm_up; warm_up()'"

USER ajib
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('AJIB_PORT','8000'), timeout=2)"
CMD ["ajib", "serve"]
