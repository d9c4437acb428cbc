# One image for every Samen service; the command picks the service (see docker-compose.yml).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SAMEN_ENV=production \
    SAMEN_DATA_DIR=/data

WORKDIR /app
RUN useradd --create-home --uid 10001 samen && mkdir -p /data && chown samen /data

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p shared samen services && touch shared/__init__.py samen/__init__.py services/__init__.py \
    && pip install -c constraints.txt . && pip uninstall -y samen

COPY shared ./shared
COPY samen ./samen
COPY services ./services
RUN pip install --no-deps -c constraints.txt .

USER samen
VOLUME ["/data"]
EXPOSE 8000
CMD ["samen", "up"]
