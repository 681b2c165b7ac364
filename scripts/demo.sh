#!/usr/bin/env bash
# Installs Minyi in ./.venv and starts the self-contained demo (SQLite, in-process stores,
# simulated WeChat). Extra arguments go to `minyi demo`, e.g. --port 8081.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Python 3.11 or newer is required ($PY is $("$PY" --version))"; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/minyi demo "$@"
