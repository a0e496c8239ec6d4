"""Measure ``narrator convert`` on a directory of Botticelli narrative files (not run in CI).

    .venv/bin/python scripts/botticelli_convert_corpus.py DIR [--json]

For each file Botticelli can load (``botticelli_loads`` of
scripts/botticelli_corpus.py; each ``[narrative.NAME]`` of a file with several
on its own), convert it in memory and count it as converted when convert's own
check passed: the native file (with its companion files) parses back into the
plan of the original. A file narrator does not load is not converted; its
first problem is listed. Figures are recorded in docs/format.md ("Moving to
the native format"). Export the corpus first, e.g.::

    git -C /path/to/botticelli archive HEAD | tar -x -C /tmp/bott
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narrator.convert import convert
from narrator.errors import NarratorError
from narrator.parser import read_narrative
from scripts.botticelli_corpus import botticelli_loads


def measure(directory: Path) -> dict[str, Any]:
    loadable = converted = 0
    failures: list[dict[str, Any]] = []
    warnings: Counter[str] = Counter()
    for path in sorted(directory.rglob("*.toml")):
        try:
            names = botticelli_loads(path)
        except Exception:  # not a narrative Botticelli loads: not counted
            continue
        if names is None:
            continue
        loadable += 1
        ok = True
        chosen: list[str | None] = [n for n in names if n] or [None]
        for name in chosen:
            where = str(path.relative_to(directory))
            try:
                result = convert(
                    read_narrative(path),
                    str(path),
                    narrative=name,
                    base_dir=str(path.parent),
                    target_dir=tempfile.gettempdir(),
                    target_name=f"{path.stem}.native.toml",
                )
            except NarratorError as exc:
                ok = False
                failures.append({"file": where, "narrative": name, "reason": exc.message})
                continue
            for warning in result.warnings:
                if "please report" in warning.message:
                    ok = False
                    failures.append({"file": where, "narrative": name, "reason": warning.message})
                warnings[warning.message.split(";")[0].split(":")[0]] += 1
        converted += ok
    return {
        "loadable": loadable,
        "converted": converted,
        "failures": failures,
        "warnings": dict(warnings.most_common()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    found = measure(args.directory)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    print(f"loadable by Botticelli: {found['loadable']}")
    print(f"converted, planning identically: {found['converted']}")
    for failure in found["failures"]:
        reason = str(failure["reason"]).splitlines()[0][:160]
        print(f"  not converted: {failure['file']} {failure['narrative'] or ''}: {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
