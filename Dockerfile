# syntax=docker/dockerfile:1
# One image for every process of the feed; the compose file picks the command.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY feed-contracts/package.json feed-contracts/
COPY feed-logger/package.json feed-logger/
COPY feed-store/package.json feed-store/
COPY feed-dead/package.json feed-dead/
COPY feed-worker/package.json feed-worker/
COPY feed-service/package.json feed-service/
COPY publishers/sdk/package.json publishers/sdk/
COPY publishers/registrar/package.json publishers/registrar/
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY feed-contracts/package.json feed-contracts/
COPY feed-logger/package.json feed-logger/
COPY feed-store/package.json feed-store/
COPY feed-dead/package.json feed-dead/
COPY feed-worker/package.json feed-worker/
COPY feed-service/package.json feed-service/
COPY publishers/sdk/package.json publishers/sdk/
COPY publishers/registrar/package.json publishers/registrar/
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/feed-contracts/dist feed-contracts/dist
COPY --from=build /app/feed-logger/dist feed-logger/dist
COPY --from=build /app/feed-store/dist feed-store/dist
COPY --from=build /app/feed-dead/dist feed-dead/dist
COPY --from=build /app/feed-dead/bin feed-dead/bin
COPY --from=build /app/feed-worker/dist feed-worker/dist
COPY --from=build /app/feed-service/dist feed-service/dist
# The live page's static files are read from the package's src/public at run time.
COPY --from=build /app/feed-service/src/public feed-service/src/public
COPY --from=build /app/publishers/sdk/dist publishers/sdk/dist
COPY --from=build /app/publishers/registrar/dist publishers/registrar/dist
COPY --from=build /app/publishers/sdk/bin publishers/sdk/bin
USER node
CMD ["node", "feed-service/dist/main.js"]
