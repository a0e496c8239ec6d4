#!/usr/bin/env bash
# Set up a virtual environment with the test dependencies, then lint, type-check
# and run the whole test suite (pytest). Used by the README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

# The PostgreSQL tests start a throwaway server; they need Debian's postgresql.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${NARRATOR_TEST_POSTGRES_URL:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing postgresql and faketime (Debian) for the database and scheduler tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql faketime tmux >/dev/null
  else
    echo "PostgreSQL server binaries are missing: sudo apt-get install postgresql," >&2
    echo "or set NARRATOR_TEST_POSTGRES_URL to a database the tests may use." >&2
    exit 2
  fi
fi
# The terminal-UI tests draw in a real terminal: tmux (they fail, never skip, without it).
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing tmux (Debian) for the terminal-UI tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq tmux >/dev/null
  else
    echo "tmux is missing: sudo apt-get install tmux" >&2
    exit 2
  fi
fi
# The scheduler's CLI tests freeze the wall clock of a narrator process with faketime.
if ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing faketime (Debian's libfaketime) for the scheduler's CLI tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq faketime >/dev/null
  else
    echo "faketime is missing: sudo apt-get install faketime" >&2
    exit 2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "== installing narrator and its test dependencies"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/python" -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -c "import narrator, pytest, psycopg" # fail early if the install did not work

echo "== ruff"
"$VENV/bin/ruff" check narrator tests benchmarks
echo "== mypy --strict"
"$VENV/bin/mypy" --strict narrator
echo "== pytest"
exec "$VENV/bin/pytest" -q -p no:cacheprovider "$@"
