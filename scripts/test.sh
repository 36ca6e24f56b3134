#!/usr/bin/env bash
# Install everything the tests need and run every test, on SQLite and on a real
# PostgreSQL that the test session starts itself (tests/pg_server.py).
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: PostgreSQL's server binaries (initdb, pg_ctl).
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi

bash scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
