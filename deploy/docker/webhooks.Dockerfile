# The webhooks image. Build context: the repository root.
#   docker build -f deploy/docker/webhooks.Dockerfile -t $ACR.azurecr.io/strata/webhooks:$TAG .
# No HEALTHCHECK: Kubernetes probes /health/live and /health/ready on the internal listener (deploy/k8s).
# Base images are pinned to a patch release; deploy/README.md shows how to pin the digest too.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG TURBO_VERSION=2.11.11

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /repo

# Only the workspaces webhooks depends on, with a lockfile cut to match: a change elsewhere in the
# monorepo does not invalidate the npm ci layers below.
FROM base AS prune
ARG TURBO_VERSION
RUN npm install --global turbo@${TURBO_VERSION}
COPY . .
RUN turbo prune @strata/webhooks --docker --out-dir /pruned

# Every dependency (TypeScript and the build tools are dev dependencies), then the build script of
# webhooks and of each workspace it depends on: each writes JavaScript to its own dist/.
FROM base AS build
COPY --from=prune /pruned/json/ ./
RUN npm ci
COPY --from=prune /pruned/full/ ./
RUN npx turbo run build --filter=@strata/webhooks... \
 && mkdir /out \
 && find packages services ui -path '*/node_modules' -prune -o -type d \( -name dist -o -name build \) -print \
    | xargs -r -I{} cp -r --parents {} /out/

FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (which drains, then exits) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# Two listeners (deploy/README.md, "Listeners"): PORT is the Dapr app channel, for the sidecar in
# the same network namespace only (hence 127.0.0.1); INTERNAL_PORT serves probes and /metrics.
ENV NODE_ENV=production \
    HOST=127.0.0.1 \
    PORT=8085 \
    INTERNAL_HOST=0.0.0.0 \
    INTERNAL_PORT=9585 \
    APP_ID=webhooks
WORKDIR /app
# Production dependencies only; workspace packages are linked and run from their dist/.
COPY --from=prune /pruned/json/ ./
RUN npm ci --omit=dev \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/*
COPY --from=build /out/ ./
# The node user of the base image is uid 1000; numeric so runAsNonRoot can verify it. Nothing in
# /app is writable by it: the root filesystem is read-only in the cluster, /tmp is an emptyDir.
USER 1000:1000
WORKDIR /app/services/webhooks
# only the internal listener: the main one is not reachable from outside the container
EXPOSE 9585
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/server.js"]
