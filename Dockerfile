# syntax=docker/dockerfile:1
# sekisho: inline mail filter (SMTP proxy and milter). Multi-stage: build with dev dependencies,
# run with production dependencies only, as the unprivileged "node" user.
#
#   docker build -t sekisho .
#   docker run -p 2525:2525 -p 8891:8891 -v sekisho-var:/app/var sekisho
#   docker run -p 2525:2525 -v ./my-sekisho.yaml:/etc/sekisho/sekisho.yaml:ro sekisho
#
# Ports:
#   2525/tcp  SMTP proxy ingress (smtp.listen)
#   8025/tcp  admin HTTP (admin.listen: /metrics, /healthz, /readyz; quarantine API and web page once admin.token is set)
#   8891/tcp  milter ingress (milter.listen; Postfix: smtpd_milters = inet:HOST:8891)

ARG NODE_IMAGE=node:26-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed afresh (npm prune leaves optional packages of
# dev tools behind).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The launcher: node with the V8 settings the daemon is measured with (bin/sekisho says why).
COPY bin ./bin
# The brand catalog (config/brands.yaml) and the Unicode confusables it is matched with.
COPY config ./config
COPY data ./data
COPY config/docker.yaml /etc/sekisho/sekisho.yaml
RUN mkdir -p /app/var && chown node:node /app/var
USER node
VOLUME ["/app/var"]
EXPOSE 2525 8025 8891
# Healthy when GET /healthz on the admin port answers 200 (sekisho healthcheck, exit 0/1).
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["node", "dist/main.js", "healthcheck", "--config", "/etc/sekisho/sekisho.yaml"]
# SIGTERM drains (transactions in flight finish within smtp.timeouts.shutdown_grace);
# give `docker stop -t` at least that long.
STOPSIGNAL SIGTERM
CMD ["sh", "bin/sekisho", "serve", "--config", "/etc/sekisho/sekisho.yaml"]
