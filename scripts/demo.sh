#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts local Redis and InfluxDB, runs the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh install --no-browser
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --strict-allow-scripts --no-audit --no-fund
fi
bash scripts/services.sh start
exec node --import tsx src/demo/run-demo.ts "$@"
