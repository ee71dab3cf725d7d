# syntax=docker/dockerfile:1.7
# One image for every app of the suite; the container's command picks the app:
#   node dist/apps/chat-gateway/main.js | history-api | upload-api | admin-cli (migrate, ...)
# The target `web` is nginx with the built web client (docker-compose.yml's front door).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginx:1.28-alpine

# ---- dependencies (with the toolchain native modules such as better-sqlite3 may need)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build every app, then drop the dev dependencies
FROM deps AS build
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- the public origin: nginx serving the web client (dist/web) and proxying the APIs
FROM ${NGINX_IMAGE} AS web
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=build /app/dist/web /usr/share/nginx/html

# ---- runtime (the default target, so it stays last): no compiler, no sources, not root
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# Writable places for the non-root user: SQLite/dev state and uploaded images.
RUN mkdir -p /app/data /var/lib/chat/uploads \
 && chown -R node:node /app/data /var/lib/chat
USER node
# 8080: the APIs. 9464: operational endpoints when OPS_PORT=9464 (docs/deployment.md); never public.
EXPOSE 8080 9464
# Liveness of whichever app runs here; readiness (database, Redis) is what the proxy and the
# orchestrator watch through /health/ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/suite/main.js"]
