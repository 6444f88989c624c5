# Rounds container image: the daemon on SQLite by default, listening for OTLP on 4317 (gRPC) and 4318 (HTTP).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
RUN useradd --system --uid 10001 --home /app nurse && mkdir -p /app/data /app/reports && chown nurse /app/data /app/reports
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
COPY docker ./docker
ENV NODE_ENV=production \
    RUN_MODE=daemon \
    LOG_FORMAT=json \
    OTLP_BIND_HOST=0.0.0.0 \
    STORE_SQLITE_PATH=/app/data/signatures.db \
    NOTIFICATION_OUTPUT_DIR=/app/reports
USER nurse
EXPOSE 4317 4318 8080
VOLUME ["/app/data", "/app/reports"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["/app/docker/healthcheck.sh"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
