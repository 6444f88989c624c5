#!/bin/sh
# Container entrypoint: runs the mode RUN_MODE names (daemon by default). Extra arguments run a rounds command
# instead, e.g. `docker compose run --rm rounds show-signatures`.
set -eu
if [ "$#" -gt 0 ]; then
  exec node /app/bin/run.js "$@"
fi
# The same V8 flags as npm start (docs/benchmarks.md): a 4 MiB semi-space, no allocation-site pretenuring (event
# objects stay young and die young), and a gentler old-generation growth factor. None is a heap limit: they change
# when V8 collects, never whether the daemon may allocate, so peak RSS under sustained load stays under 150 MB.
exec node --max-semi-space-size=4 --no-allocation-site-pretenuring --heap-growing-percent=65 /app/bin/run.js run
