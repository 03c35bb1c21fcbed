# The mock payment providers (devkit/providers): standard library only, so any Python 3.11+ base works and nothing
# is installed. The build context is the repository root (see .dockerignore: only the package and seeds go in).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
WORKDIR /app
COPY devkit/__init__.py devkit/__init__.py
COPY devkit/providers devkit/providers
COPY seeds/fixtures.toml seeds/test_cards.toml seeds/providers.toml seeds/
# Inside the container the published port is mapped by the engine: listen on every interface.
ENV HOST=0.0.0.0 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8040
CMD ["python3", "-m", "devkit.providers"]
