#!/bin/sh
# Container health: the OTLP HTTP receiver answers GET /health when the daemon is up and its store is open.
set -eu
port="${OTLP_HTTP_PORT:-4318}"
node -e "
const req = require('http').get({ host: '127.0.0.1', port: ${port}, path: '/health', timeout: 3000 }, (res) => {
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('error', () => process.exit(1));
req.on('timeout', () => { req.destroy(); process.exit(1); });
"
