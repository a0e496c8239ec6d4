"""Measure narrator against a directory of Botticelli narrative files (not run in CI).

    .venv/bin/python scripts/botticelli_corpus.py DIR [--timeout SECONDS] [--json]

Botticelli's own repository holds ~124 ``.toml`` files: narratives, but also
Cargo manifests, actor and server configurations, and narratives of an older
format (``[[steps]]``, ``[[acts]]`` arrays) that Botticelli itself no longer
loads. The denominator is therefore *the files Botticelli can load*: this
script re-implements the acceptance rules of Botticelli's loader
(crates/botticelli_narrative/src/toml_parser.rs, core.rs ``Narrative::from_toml_str``
and ``validate``, multi_narrative.rs) as :func:`botticelli_loads` — serde's
shapes (``[narrative]`` needs ``name`` and ``description``; ``[toc]``; ``[acts]``
a table of strings, arrays or tables; every ``bots.``/``tables.``/``media.``/
``narratives.`` reference defined; inline inputs of a known ``type`` with their
required fields; files named by ``file =`` readable), then ``validate`` (a
non-empty toc, each toc act defined, each act with an input or a narrative
reference). A file with several ``[narrative.NAME]`` loads when each of its
narratives does (Botticelli's CLI then needs ``--narrative-name``).

For each loadable file it reports whether ``narrator validate`` accepts it and
whether ``narrator run --sandbox --allow-destructive`` (with a timeout,
``--narrative NAME`` for each narrative of a multi-narrative file) finishes
with exit 0, and the first line of the reason when not. The rehearsal is set
up as Botticelli's own test harness runs these files: one sandbox database for
the whole corpus (Botticelli keeps one state directory), a test's setup
narrative before its teardown (:func:`_order`), and the resources its Discord
test narratives read (``${TEST_CHANNEL_ID}``, ``${TEST_MESSAGE_ID}``, ...)
created first in the sandbox guild and passed with ``--var``
(:func:`fixtures`, :func:`rehearsal_vars`). Figures are recorded in
docs/format.md ("Measured against Botticelli's repository").

Export the corpus first, e.g.::

    git -C /path/to/botticelli archive HEAD | tar -x -C /tmp/bott
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

_REF_PREFIXES = ("bots.", "tables.", "media.", "narratives.", "narrative:")
_INPUT_TYPES = ("text", "image", "audio", "video", "document", "bot_command", "table")
_MEDIA_EXT = {
    "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image",
    "mp3": "audio", "wav": "audio", "ogg": "audio",
    "mp4": "video", "avi": "video", "mov": "video", "webm": "video",
    "pdf": "document", "txt": "document", "md": "document", "json": "document",
}  # fmt: skip


class NotLoadable(Exception):
    """Botticelli's loader would refuse the file; the message says why."""


# ----------------------------------------------------------------- Botticelli's loader


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise NotLoadable(f"{what} must be a string")
    return value


def _optional(table: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> None:
    if key in table and not isinstance(table[key], kind):
        raise NotLoadable(f"{what}.{key} has the wrong type")


def _carousel(value: Any, what: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("iterations"), int):
        raise NotLoadable(f"{what}: carousel needs iterations (an integer)")


def _narrative_meta(value: Any, *, single: bool) -> None:
    if not isinstance(value, dict):
        raise NotLoadable("[narrative] is not a table")
    if single:
        _string(value.get("name"), "[narrative] name")
        _string(value.get("description"), "[narrative] description")
    if "carousel" in value:
        _carousel(value["carousel"], "[narrative]")
    _optional(value, "model", str, "[narrative]")
    _optional(value, "temperature", (int, float), "[narrative]")
    _optional(value, "max_tokens", int, "[narrative]")


def _readable(name: str, base: Path) -> bool:
    """Botticelli reads ``file =`` relative to the working directory (a bare name is
    searched upward and downward); we accept a file beside the narrative or above it."""
    path = Path(name)
    if path.is_absolute():
        return path.is_file()
    for directory in (base, *base.parents):
        if (directory / path).is_file() or (directory / path.name).is_file():
            return True
    return False


def _input(item: dict[str, Any], data: dict[str, Any], base: Path, where: str) -> None:
    if "ref" in item:
        _reference(_string(item["ref"], f"{where} ref"), data, base, where)
        return
    kind = item.get("type", "text")
    if kind not in _INPUT_TYPES:
        raise NotLoadable(f"{where}: unknown input type {kind!r}")
    typed: tuple[tuple[str, type], ...] = (
        ("content", str), ("args", dict), ("required", bool), ("limit", int),
        ("columns", list), ("file", str), ("url", str), ("base64", str),
    )  # fmt: skip
    for key, kinds in typed:
        _optional(item, key, kinds, where)
    if kind == "text":
        if "content" not in item:
            if "file" not in item:
                raise NotLoadable(f"{where}: text input without content or file")
            if not _readable(item["file"], base):
                raise NotLoadable(f"{where}: cannot read text file {item['file']}")
    elif kind == "bot_command":
        for key in ("platform", "command"):
            _string(item.get(key), f"{where} {key}")
    elif kind == "table":
        _string(item.get("table_name"), f"{where} table_name")
        if item.get("format", "json") not in ("json", "markdown", "csv"):
            raise NotLoadable(f"{where}: unknown table format")
    else:
        source = item.get("url") or item.get("base64") or item.get("file")
        if source is None:
            raise NotLoadable(f"{where}: media input without url, base64 or file")
        only_file = "file" in item and "url" not in item and "base64" not in item
        if only_file and not _readable(item["file"], base):
            raise NotLoadable(f"{where}: cannot read media file {item['file']}")


def _reference(ref: str, data: dict[str, Any], base: Path, where: str) -> None:
    if ref.startswith("narrative:"):
        return
    parts = ref.split(".")
    if len(parts) != 2:
        raise NotLoadable(f"{where}: invalid reference {ref!r}")
    category, name = parts
    table = data.get(category)
    if not isinstance(table, dict) or name not in table:
        raise NotLoadable(f"{where}: {category} not found: {name}")
    definition = table[name]
    if not isinstance(definition, dict):
        raise NotLoadable(f"{where}: [{category}.{name}] is not a table")
    if category == "bots":
        _string(definition.get("platform"), f"[bots.{name}] platform")
        _string(definition.get("command"), f"[bots.{name}] command")
    elif category == "tables":
        _string(definition.get("table_name"), f"[tables.{name}] table_name")
        if definition.get("format", "json") not in ("json", "markdown", "csv"):
            raise NotLoadable(f"[tables.{name}]: unknown table format")
    elif category == "narratives":
        if not isinstance(definition.get("narrative"), str):
            raise NotLoadable(f"[narratives.{name}] is an inline definition, not a file reference")
    elif category == "media":
        path = definition.get("file") or definition.get("url")
        if not any(k in definition for k in ("url", "file", "base64")):
            raise NotLoadable(f"[media.{name}] has no url, file or base64")
        if (
            "file" in definition
            and "url" not in definition
            and not _readable(definition["file"], base)
        ):
            raise NotLoadable(f"[media.{name}]: cannot read {definition['file']}")
        if "mime" not in definition:
            ext = str(path or "").rsplit(".", 1)[-1].lower()
            if ext not in _MEDIA_EXT:
                raise NotLoadable(f"[media.{name}]: cannot infer the media type")
    else:
        raise NotLoadable(f"{where}: unknown reference category {category!r}")


def _act(name: str, act: Any, data: dict[str, Any], base: Path) -> bool:
    """Check one act; True when it has an input or is a narrative reference."""
    where = f"act '{name}'"
    if isinstance(act, str):
        if act.startswith(_REF_PREFIXES):
            _reference(act, data, base, where)
        elif not act.strip():
            raise NotLoadable(f"{where}: empty prompt")
        return True
    if isinstance(act, list):
        for item in act:
            if isinstance(item, str):
                if item.startswith(_REF_PREFIXES):
                    _reference(item, data, base, where)
            elif isinstance(item, dict):
                _input(item, data, base, where)
            else:
                raise NotLoadable(f"{where}: an input is neither a string nor a table")
        return bool(act)
    if not isinstance(act, dict):
        raise NotLoadable(f"{where} is neither a string, an array nor a table")
    for key, kinds in (("model", str), ("temperature", (int, float)), ("max_tokens", int),
                       ("extract_output", bool), ("input", list)):  # fmt: skip
        _optional(act, key, kinds, where)
    if "carousel" in act:
        _carousel(act["carousel"], where)
    narrative = act.get("narrative", act.get("narrative_ref"))
    if narrative is not None:
        _string(narrative, f"{where} narrative")
        return True
    inputs = act.get("input", [])
    for item in inputs:
        if not isinstance(item, dict):
            raise NotLoadable(f"{where}: an input is not a table")
        _input(item, data, base, where)
    return bool(inputs)


def _one(meta: Any, toc: list[Any], acts: dict[str, Any], data: dict[str, Any], base: Path) -> None:
    for name, act in acts.items():
        if not _act(name, act, data, base):
            raise NotLoadable(f"act '{name}' has no input")
    if not toc:
        raise NotLoadable("the toc is empty")
    for name in toc:
        if name not in acts:
            raise NotLoadable(f"toc names act '{name}', which is not defined")


def botticelli_loads(path: Path) -> list[str]:
    """The narratives Botticelli would load from ``path`` ([""] for a single one);
    raises NotLoadable with Botticelli's reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NotLoadable(f"TOML: {exc}") from None
    base = path.parent
    acts = data.get("acts", {})
    if not isinstance(acts, dict):
        raise NotLoadable("acts is not a table ([[acts]] is an older format)")
    for category in ("bots", "tables", "media", "narratives"):
        if not isinstance(data.get(category, {}), dict):
            raise NotLoadable(f"{category} is not a table")
    head = data.get("narrative")
    if (
        isinstance(head, dict)
        and isinstance(head.get("name"), str)
        and isinstance(head.get("description"), str)
    ):
        _narrative_meta(head, single=True)
        toc = data.get("toc")
        if toc is None:
            raise NotLoadable("single narrative requires toc")
        order = toc.get("order") if isinstance(toc, dict) else toc
        if not isinstance(order, list):
            raise NotLoadable("toc has no order array")
        _one(head, order, acts, data, base)
        return [""]
    entries = head if isinstance(head, dict) else {}
    multi = {k: v for k, v in entries.items() if isinstance(v, dict)}
    if not multi or len(multi) != len(entries):
        if isinstance(head, dict) and "description" not in head:
            raise NotLoadable("[narrative] has no description (a required field)")
        raise NotLoadable("no narrative found in file")
    for name, entry in multi.items():
        if "toc" not in entry:
            raise NotLoadable(f"[narrative.{name}] has no toc")
        _narrative_meta(entry, single=False)
        merged = {**acts, **entry.get("acts", {})}
        _one(entry, entry["toc"], merged, data, base)
    return sorted(multi)


# ----------------------------------------------------------------- narrator


SANDBOX_GUILD = "100000000000000001"  # the sandbox's emulated guild
_VARIABLE = re.compile(r"\$\{(?:env:)?([A-Z][A-Z0-9_]*)\}")
# What Botticelli's test harness creates before its Discord test narratives run (its
# lifecycle/setup_*.toml): a channel, a message in it, a role, a thread, an event.
_FIXTURES = """\
[narrative]
name = "corpus_fixtures"
guild_id = "%(guild)s"

[[act]]
name = "channel"
[[act.input]]
command = "channels.create"
[act.input.args]
name = "corpus-fixtures"

[[act]]
name = "message"
[[act.input]]
command = "messages.send"
[act.input.args]
channel_id = "{act.channel.output.id}"
content = "a message the corpus narratives read"

[[act]]
name = "role"
[[act.input]]
command = "roles.create"
[act.input.args]
name = "corpus-role"

[[act]]
name = "thread"
[[act.input]]
command = "threads.create"
[act.input.args]
channel_id = "{act.channel.output.id}"
name = "corpus-thread"

[[act]]
name = "event"
[[act.input]]
command = "events.create"
[act.input.args]
name = "corpus-event"
start_time = "2030-01-01T12:00:00Z"
end_time = "2030-01-01T13:00:00Z"
location = "online"
"""


def _narrator(*args: str, cwd: str, timeout: float) -> tuple[int, str, str]:
    """Exit code, the first line saying why it failed, and stdout."""
    command = [sys.executable, "-m", "narrator", *args]
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NARRATOR_CONFIG", None)
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {timeout:.0f}s", ""
    if done.returncode == 0:
        return 0, "", done.stdout
    lines = [line for line in (done.stdout + "\n" + done.stderr).splitlines() if line.strip()]
    marks = ("✗", "error", "failed:", "Error")
    failed = [line for line in lines if "warning:" not in line and any(m in line for m in marks)]
    return done.returncode, (failed[0] if failed else lines[-1] if lines else "").strip(), ""


def fixtures(database: list[str], scratch: str, timeout: float) -> dict[str, str]:
    """Create the resources Botticelli's Discord test narratives expect in the sandbox
    guild; their ids by the variable names those narratives read."""
    path = Path(scratch) / "corpus_fixtures.toml"
    path.write_text(_FIXTURES % {"guild": SANDBOX_GUILD}, encoding="utf-8")
    code, why, out = _narrator(
        *database, "run", str(path), "--sandbox", "--json", cwd=scratch, timeout=timeout
    )
    ids = {"TEST_GUILD_ID": SANDBOX_GUILD, "GUILD_ID": SANDBOX_GUILD}
    if code:
        print(f"fixtures: {why}", file=sys.stderr)
        return ids
    acts = {a["name"]: a["output"] for a in json.loads(out)["acts"]}
    ids.update(
        TEST_CHANNEL_ID=acts["channel"]["id"],
        TEST_MESSAGE_ID=acts["message"]["id"],
        TEST_USER_ID=acts["message"]["author_id"],
        TEST_ROLE_ID=acts["role"]["id"],
        TEST_THREAD_ID=acts["thread"]["id"],
        TEST_EVENT_ID=acts["event"]["id"],
    )
    return ids


def rehearsal_vars(path: Path, known: dict[str, str]) -> list[str]:
    """``--var`` values for the ``${VAR}`` / ``${env:VAR}`` a file reads (Botticelli's test
    narratives read ``${TEST_GUILD_ID}`` and friends from the environment): the fixtures'
    ids, else a snowflake-shaped placeholder for an id, else a word."""
    out: list[str] = []
    for name in sorted(set(_VARIABLE.findall(path.read_text(encoding="utf-8")))):
        value = known.get(name) or ("100000000000000999" if name.endswith("_ID") else "sandbox")
        out += ["--var", f"{name}={value}"]
    return out


_ROLES = {"setup": 0, "create": 0, "use": 1, "test": 1, "cleanup": 2, "teardown": 2}


def _order(path: Path) -> tuple[str, str, int, str]:
    """The order Botticelli's harness runs its test narratives in: a directory with a
    ``*_setup`` narrative runs it first and its ``*_teardown`` last (write_tests); elsewhere
    the narratives of one test run together, create, use, cleanup (state_test_*)."""
    stem = path.stem
    head, _, role = stem.rpartition("_")
    rank = _ROLES.get(role, 1) if head else 1
    if any(p.stem.endswith("_setup") for p in path.parent.glob("*.toml")):
        return (str(path.parent), "", rank, stem)
    if head and role in _ROLES:
        return (str(path.parent), head, rank, stem)
    return (str(path.parent), stem, 1, stem)


def measure(directory: Path, timeout: float) -> dict[str, Any]:
    files = sorted((p for p in directory.rglob("*.toml") if p.name != "Cargo.toml"), key=_order)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        # one sandbox database for the whole corpus, as Botticelli keeps one state dir
        database = ["--database", f"sqlite:///{scratch}/corpus.db"]
        for path in files:
            row: dict[str, Any] = {"file": str(path.relative_to(directory))}
            try:
                names = botticelli_loads(path)
            except NotLoadable as exc:
                row.update(loadable=False, why=str(exc))
                rows.append(row)
                continue
            row["loadable"] = True
            selections = [[]] if names == [""] else [["--narrative", n] for n in names]
            code, why, _ = _narrator(
                "validate", str(path), *selections[0], cwd=scratch, timeout=timeout
            )
            row["validates"] = code == 0
            if code:
                row["validate_error"] = why
            uses_ids = "TEST_" in path.read_text(encoding="utf-8")
            known = fixtures(database, scratch, timeout) if uses_ids else {}
            known.setdefault("TEST_GUILD_ID", SANDBOX_GUILD)
            known.setdefault("GUILD_ID", SANDBOX_GUILD)
            ran = True
            for selection in selections:
                code, why, _ = _narrator(
                    *database, "run", str(path), *selection, "--sandbox",
                    "--allow-destructive", *rehearsal_vars(path, known),
                    cwd=scratch, timeout=timeout,
                )  # fmt: skip
                if code:
                    ran = False
                    row["run_error"] = why
                    break
            row["rehearses"] = ran
            rows.append(row)
    rows.sort(key=lambda r: r["file"])
    loadable = [r for r in rows if r["loadable"]]
    return {
        "files": len(rows),
        "loadable": len(loadable),
        "validate": sum(1 for r in loadable if r["validates"]),
        "rehearse": sum(1 for r in loadable if r["rehearses"]),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = measure(args.directory, args.timeout)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for row in report["rows"]:
        if not row["loadable"]:
            print(f"skip  {row['file']}: Botticelli cannot load it: {row['why']}")
            continue
        mark = ("V" if row["validates"] else "-") + ("R" if row["rehearses"] else "-")
        reason = row.get("validate_error") or row.get("run_error") or ""
        print(f"{mark}    {row['file']}" + (f": {reason}" if reason else ""))
    print(
        f"\n{report['files']} files, {report['loadable']} loadable by Botticelli: "
        f"{report['validate']} validate, {report['rehearse']} rehearse in the sandbox"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
