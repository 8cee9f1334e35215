# One image for every process of a deployment (code server, webserver, daemon, receivers, CLI);
# compose.yaml picks the command. Build: docker build -t flintt-pipeline .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# uv from PyPI, pinned like the rest: the lock decides every other version.
RUN pip install --no-cache-dir "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first, in a layer of their own that only a lock change rebuilds.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY flintt_pipeline ./flintt_pipeline
RUN uv sync --locked --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 10001 flintt \
    && mkdir -p /data /opt/dagster/dagster_home \
    && chown flintt:flintt /data /opt/dagster/dagster_home
COPY --from=build /app/.venv /app/.venv
COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY deploy/workspace.yaml /opt/dagster/workspace.yaml
ENV PATH=/app/.venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    FLINTT_DUCKDB_PATH=/data/warehouse.duckdb \
    FLINTT_READ_DUCKDB_PATH=/data/warehouse_read.duckdb
WORKDIR /data
USER flintt
CMD ["flintt-pipeline", "--help"]
