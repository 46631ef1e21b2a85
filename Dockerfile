# CivicOps-311 app image: `civicops start` runs the HTTP API and the job scheduler in one process.
# NOTE: Docker is not available on the development machine this was written on, so this file and
# the `app` service of docker-compose.yml are untested here; build with `docker compose build`.

# Build stage: `npm ci` runs the package's prepare script, which compiles src/ to dist/.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci

# Runtime stage: production dependencies, the compiled code and the files it reads at run time
# (migrations, job schedules, the bundled demo snapshot).
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY db ./db
COPY jobs ./jobs
COPY data ./data
# Only used without DATABASE_URL (embedded PGlite); the compose setup uses PostgreSQL.
RUN mkdir -p /app/.civicops && chown node:node /app/.civicops
USER node
EXPOSE 3000
# Exec form: node is the process that receives SIGTERM and shuts down gracefully within 10 s.
CMD ["node", "bin/civicops.js", "start"]
