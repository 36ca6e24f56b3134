#!/usr/bin/env bash
# Install (first time) and start the app on the embedded default: a SQLite file
# (workbench.db) that the first run fills with the demo project. No network needed
# after the install.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run app.py --server.address "${HOST:-127.0.0.1}" --server.port "${PORT:-8501}" "$@"
