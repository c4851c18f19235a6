# The service with its embedded SQLite store (node:sqlite: nothing to compile). Build: docker build -t custom-metadata-service .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` refuses this lock file: it was made where the registry answers 404 for other platforms' optional
# binaries (@swc/core-darwin-arm64, …), so it lacks them. `npm install --no-save` installs what the lock file
# lists without changing it; keep it until the lock file lists every platform.
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.json ./
# The image's non-root `node` user runs the service and owns its data.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
CMD ["node", "dist/main.js"]
