#!/usr/bin/env bash
# Install everything the tests need and run every test, on SQLite and on a real
# PostgreSQL that the test session starts itself (tests/pg_server.py).
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: PostgreSQL's server binaries (initdb, pg_ctl) and Debian's chromium for
# the browser tests (Playwright's own browser download cannot work offline).
missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
# espeak-ng: synthetic Portuguese speech for the transcription pipeline test.
if ! command -v espeak-ng >/dev/null 2>&1; then
  missing+=(espeak-ng)
fi
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash scripts/setup.sh requirements-dev.txt
# The reference engine (optional for users, tested on every run): openai-whisper on the CPU
# build of torch that lies on this kind of machine, without triton (GPU kernels only).
log=$(mktemp)
# sentence-transformers on that torch is the reference the embedding tests compare ONNX Runtime with.
if ! { .venv/bin/python -m pip install --quiet torch==2.13.0 numba tiktoken more-itertools tqdm &&
       .venv/bin/python -m pip install --quiet --no-deps openai-whisper==20250625 &&
       .venv/bin/python -m pip install --quiet sentence-transformers==6.2.0; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
exec .venv/bin/python -m pytest "$@"
