# The service with its embedded SQLite store (node:sqlite: nothing to compile). Build: docker build -t custom-metadata-service .
# The base image is pinned by digest (node 24.18.0, bookworm-slim), so a rebuild gets the same bytes; to move
# it on, `docker buildx imagetools inspect node:24-bookworm-slim` gives the current digest.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install script runs but the one the build needs: the npm package `node` (the pinned Node that
# `npm run` puts first on PATH) installs its binary in one. The others (ssh2, cpu-features) are optional.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild node
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
# The runtime needs Node only: no package manager to run what an attacker would fetch.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.json ./
# The image's non-root `node` user runs the service and owns its data.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
CMD ["node", "dist/main.js"]
