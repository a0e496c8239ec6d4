#!/usr/bin/env bash
# Set up narrator in a virtual environment and rehearse a real narrative on the
# embedded defaults: SQLite state and the local emulated Discord guild (--sandbox).
# Run it twice: the second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -e . 2>&1 | grep -v '^WARNING: Location' || true
echo "== narrator run --sandbox narratives/discord/community_setup.toml"
"$VENV/bin/narrator" run --sandbox narratives/discord/community_setup.toml
echo
echo "== narrator plan --sandbox (after the run: nothing left to do)"
"$VENV/bin/narrator" plan --sandbox narratives/discord/community_setup.toml
echo
echo "Next: $VENV/bin/narrator state list --sandbox   |   $VENV/bin/narrator --help"
