# Slim, non-root image running `vendo-gateway serve` in production mode.
FROM python:3.11-slim AS build
WORKDIR /src
# The dependencies first, in a layer of their own: it is rebuilt only when pyproject.toml
# changes, not at every change of the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
  && pip wheel --no-cache-dir --wheel-dir /deps -r requirements.txt
COPY README.md ./
COPY app ./app
COPY resolvers ./resolvers
COPY legacy_rest ./legacy_rest
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /gateway .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VENDO_ENV=production
RUN useradd --create-home --uid 10001 vendo && mkdir /data && chown vendo /data
COPY --from=build /deps /deps
RUN pip install --no-cache-dir --no-index /deps/*.whl && rm -rf /deps
COPY --from=build /gateway /gateway
RUN pip install --no-cache-dir --no-deps /gateway/*.whl && rm -rf /gateway
USER vendo
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["vendo-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
