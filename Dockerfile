# CivicOps-311 app image: `civicops start` runs the HTTP API and the job scheduler in one process.
# NOTE: Docker is not available on the development machine this was written on, so this file and
# the `app` service of docker-compose.yml are untested here; build with `docker compose build`.

# Node: the image uses the current Active LTS (24); the code and its dependencies need only
# Node >= 20.18.1 (package.json engines, set by undici 7), and the tests run on Node 20.
ARG NODE_IMAGE=node:24-slim

# Build stage: `npm ci` runs the package's prepare script, which compiles src/ to dist/.
FROM ${NODE_IMAGE} AS build
# swagger-ui-dist's dependency @scarf/scarf reports installs from its postinstall script; opt out.
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci

# Runtime stage: production dependencies, the compiled code and the files it reads at run time
# (migrations, job schedules, the bundled demo snapshot). ml-random-forest is a devDependency
# (benchmark and a reference test only), so it is not in this image.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY db ./db
COPY jobs ./jobs
COPY data ./data
COPY cities ./cities
# Only used without DATABASE_URL (embedded PGlite); the compose setup uses PostgreSQL.
RUN mkdir -p /app/.civicops && chown node:node /app/.civicops
USER node
EXPOSE 3000
# Exec form: node is the process that receives SIGTERM and shuts down gracefully within 10 s.
CMD ["node", "bin/civicops.js", "start"]
