#!/usr/bin/env bash
# The one gate (`npm test`): installs what is missing (Debian packages, npm packages), then runs lint,
# typecheck and every test tier against real Redis, InfluxDB and Chromium. Extra args go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh install --with-browser --with-notebooks
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --strict-allow-scripts --no-audit --no-fund
fi
echo "== lint" >&2
npx eslint .
echo "== typecheck" >&2
npx tsc --noEmit -p .
echo "== tests" >&2
npx vitest run --reporter=default --reporter=json --outputFile=.vitest-report.json "$@"
