#!/usr/bin/env bash
# `npm run notebooks`: type-checks, then executes every notebooks/*.ipynb headless with Deno's Jupyter kernel
# (the npm `deno` devDependency) and Debian's `jupyter nbconvert`. The executed copies (with outputs and SVG
# charts) go to build/notebooks/ (or $NOTEBOOKS_OUT). Exits non-zero on the first failing cell, on a code cell without output
# or on a notebook without a chart. Arguments: notebook files to run instead of all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"   # deno from node_modules (see shared/NOTEBOOKS.md)
export JUPYTER_PATH="$PWD/jupyter"           # the committed kernelspec; nothing is written to ~/.local
export NO_COLOR=1                            # no ANSI escapes in text/plain outputs
command -v jupyter >/dev/null || { echo "run-notebooks: jupyter not found (apt-get install jupyter-nbconvert)" >&2; exit 1; }
command -v deno >/dev/null || { echo "run-notebooks: deno not found (npm ci installs it)" >&2; exit 1; }
out="${NOTEBOOKS_OUT:-build/notebooks}"   # where the executed copies go
mkdir -p "$out"
if [ "$#" -gt 0 ]; then notebooks=("$@"); else notebooks=(notebooks/*.ipynb); fi
node scripts/check-notebooks.mjs "${notebooks[@]}"
# Every code cell must have produced output and every notebook must hold a chart. Exit 2 = only empty cells:
# Deno's kernel has been seen (rarely, on a loaded machine) to report a cell done before its display message
# went out, and nbconvert then drops it; the notebooks wait after each display, and such a run is retried once.
check_output() {
  node -e '
    const fs = require("node:fs");
    const f = process.argv[1];
    const nb = JSON.parse(fs.readFileSync(f, "utf8"));
    const code = nb.cells.filter((c) => c.cell_type === "code");
    const empty = code.filter((c) => c.outputs.length === 0).length;
    const errors = code.flatMap((c) => c.outputs).filter((o) => o.output_type === "error").length;
    const svgs = code.flatMap((c) => c.outputs).filter((o) => o.data && o.data["image/svg+xml"]).length;
    console.log(`${f}: ${code.length} code cells, ${empty} without output, ${errors} errors, ${svgs} SVG outputs`);
    process.exitCode = errors > 0 || svgs === 0 ? 1 : empty > 0 ? 2 : 0;' "$1"
}
for nb in "${notebooks[@]}"; do
  executed="$out/$(basename "$nb")"
  for attempt in 1 2; do
    start=$(date +%s)
    rm -f "$executed"
    # A throwing cell makes nbconvert exit 1 (CellExecutionError) and set -e stops here.
    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=180 --output-dir "$out" "$nb"
    echo "run-notebooks: $nb executed in $(( $(date +%s) - start )) s"
    status=0
    check_output "$executed" || status=$?
    if [ "$status" = 0 ]; then break; fi
    if [ "$status" = 2 ] && [ "$attempt" = 1 ]; then echo "run-notebooks: $nb lost a cell output; running it again" >&2; continue; fi
    echo "run-notebooks: $nb failed the output check" >&2
    exit 1
  done
done
