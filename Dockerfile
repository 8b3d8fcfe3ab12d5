# The conformance harness as a container image, for CI systems that run jobs in containers.
#
#   docker build -t conformance .
#   docker run --rm --network host -v "$PWD/reports:/work/reports" conformance \
#       conformance run --spec https://api.supplier.example/openapi.json --out reports/latest
#
# BASE is any Debian-like image with Python 3.11+ and venv (python:3.12-slim by default). With wheels in
# build/docker-wheels/ (`pip wheel --wheel-dir build/docker-wheels .`), it installs from them alone and the
# build needs no network; .ci/docker-setup builds it that way, on the locally made conformance-base image.
ARG BASE=python:3.12-slim
FROM ${BASE}
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8 PATH=/opt/conformance/bin:$PATH
COPY . /src
RUN python3 -m venv /opt/conformance \
 && if ls /src/build/docker-wheels/*.whl >/dev/null 2>&1; then \
      /opt/conformance/bin/pip install --no-cache-dir --no-index --find-links /src/build/docker-wheels procurement-conformance; \
    else \
      /opt/conformance/bin/pip install --no-cache-dir /src; \
    fi \
 && rm -rf /src \
 && conformance --version
WORKDIR /work
# Root by default so a mounted reports folder is writable whoever owns it; pass --user to drop it.
CMD ["conformance", "--help"]
