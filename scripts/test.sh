#!/usr/bin/env bash
# The one gate: install what is missing, then lint, typecheck and every test tier against real services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh install
[ -d node_modules ] || npm ci --strict-allow-scripts
npx eslint .
npx tsc --noEmit -p .
npx vitest run "$@"
