# Slim, non-root image running `vendo-gateway serve`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY resolvers ./resolvers
COPY legacy_rest ./legacy_rest
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VENDO_ENV=production
RUN useradd --create-home --uid 10001 vendo && mkdir /data && chown vendo /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER vendo
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["vendo-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
