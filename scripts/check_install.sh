#!/usr/bin/env bash
# Test narrator the way users install it: build the wheel, install it (not
# editable) into a fresh venv outside the checkout, and drive the `narrator`
# command in an empty directory on the embedded defaults (SQLite, --sandbox).
# An editable checkout hides packaging bugs (migrations not shipped, data files
# missing); this script does not. Used by .ci/run; runnable by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/narrator-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

step() { echo "== $*"; }
fail() { echo "check_install: $*" >&2; exit 1; }

step "building the wheel"
"$PYTHON" -m venv "$WORK/build-venv"
"$WORK/build-venv/bin/python" -m pip install -q build 2>&1 | grep -v '^WARNING: Location' || true
"$WORK/build-venv/bin/python" -m build -q --wheel --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; fail "the wheel did not build"; }
WHEEL=$(ls "$WORK"/dist/*.whl)
# the listing is read whole first: `unzip -l | grep -q` under pipefail fails when grep exits
# early and unzip gets SIGPIPE on a long listing
CONTENTS=$(unzip -l "$WHEEL")
grep -q "narrator/migrations/versions/0001_initial.py" <<<"$CONTENTS" \
  || fail "the wheel lacks narrator/migrations"
grep -q "narrator/content/templates/discord_guilds.json" <<<"$CONTENTS" \
  || fail "the wheel lacks the content templates (narrator/content/templates/*.json)"

step "installing $(basename "$WHEEL") into a fresh venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$WHEEL" 2>&1 | grep -v '^WARNING: Location' || true
NARRATOR="$WORK/venv/bin/narrator"
[ -x "$NARRATOR" ] || fail "the wheel installed no narrator command"

RUN="$WORK/empty"
mkdir "$RUN"
cp "$ROOT/narratives/discord/community_setup.toml" "$ROOT/examples/welcome.toml" "$RUN/"
cd "$RUN"
# nothing of the checkout may be importable from here
env -u PYTHONPATH "$WORK/venv/bin/python" -c \
  "import narrator, sys; assert '$ROOT' not in narrator.__file__, narrator.__file__" \
  || fail "narrator was imported from the checkout, not the installed wheel"

n() { env -u PYTHONPATH -u NARRATOR_DATABASE_URL -u NARRATOR_CONFIG "$NARRATOR" "$@"; }

step "narrator --help / validate"
n --help >/dev/null
n validate community_setup.toml welcome.toml
step "narrator run --sandbox (first run)"
n run --sandbox community_setup.toml
step "narrator run --sandbox (second run converges)"
n run --sandbox --json community_setup.toml >second.json
"$WORK/venv/bin/python" - <<'PY' || fail "the second run was not a success"
import json
out = json.load(open("second.json"))
assert out["status"] == "done", out["status"]
PY
step "narrator plan --sandbox --detailed-exitcode (0 after convergence)"
n plan --sandbox --detailed-exitcode community_setup.toml
step "welcome.toml twice in the sandbox"
n run --sandbox welcome.toml
n run --sandbox welcome.toml
step "state set / get / list"
n state set greeting '{"text": "hi", "n": 1}'
n state get greeting --json | "$WORK/venv/bin/python" -c \
  "import json,sys; v=json.load(sys.stdin); v=v.get('value', v); assert v == {'text': 'hi', 'n': 1}, v"
listing=$(n state list)
grep -q greeting <<<"$listing" || fail "state list does not show greeting"
step "a content template loads from the installed package"
env -u PYTHONPATH "$WORK/venv/bin/python" -c \
  "from narrator.content import templates; assert 'discord_posts' in templates.names(); assert templates.load('discord_guilds')['required']" \
  || fail "the installed narrator cannot load its content templates"
step "content import / tables / list / review (piped)"
printf '%s\n' '{"table": "posts", "fields": {"title": "hello"}}' \
  '{"table": "posts", "fields": {"title": "again"}}' >posts.jsonl
out=$(n content import posts.jsonl)
grep -q "imported 2 rows" <<<"$out" || fail "content import did not import 2 rows"
out=$(n content tables)
grep -q "posts  2 rows (2 pending)" <<<"$out" || fail "content tables does not show posts"
out=$(printf 'a\nr\n' | n content review posts)
grep -q "1 approved, 1 rejected" <<<"$out" || fail "a piped content review did not approve and reject"
n content list posts --status approved --json | "$WORK/venv/bin/python" -c \
  "import json,sys; rows=json.load(sys.stdin); assert [r['fields']['title'] for r in rows] == ['hello'], rows"
step "runs list"
listing=$(n runs list --sandbox)
[ "$(grep -c done <<<"$listing")" -ge 4 ] || fail "runs list --sandbox lacks the four runs: $listing"
step "db upgrade"
n db upgrade
step "schedule add / list / remove"
n schedule add welcome.toml --every 1h --name hourly-welcome
listing=$(n schedule list)
grep -q hourly-welcome <<<"$listing" || fail "schedule list does not show hourly-welcome"
n schedule remove hourly-welcome
listing=$(n schedule list)
if grep -q hourly-welcome <<<"$listing"; then fail "schedule remove left hourly-welcome"; fi
step "a failed open leaves no database file behind"
mkdir sub && cd sub
if n --database "sqlite:///$RUN/sub/missing-dir/x.db" state list 2>err.txt; then
  fail "opening a database in a missing directory succeeded"
fi
grep -q "Traceback" err.txt && { cat err.txt; fail "a traceback reached the user"; }
cd "$RUN"
step "a database from a newer narrator is one clear error, not a traceback"
"$WORK/venv/bin/python" -c "
import sqlite3
c = sqlite3.connect('future.db')
c.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)')
c.execute(\"INSERT INTO alembic_version VALUES ('9999')\")
c.commit()"
if n --database sqlite:///future.db state list 2>err.txt; then fail "a future schema was accepted"; fi
grep -q "Traceback" err.txt && { cat err.txt; fail "a traceback reached the user"; }
[ "$(wc -l <err.txt)" -le 3 ] || { cat err.txt; fail "the error is longer than three lines"; }
cat err.txt
echo "installed wheel: all checks passed"
