#!/bin/sh
# Container entrypoint: runs the mode RUN_MODE names (daemon by default). Extra arguments run a rounds command
# instead, e.g. `docker compose run --rm rounds show-signatures`.
set -eu
if [ "$#" -gt 0 ]; then
  exec node /app/bin/run.js "$@"
fi
exec node /app/bin/run.js run
