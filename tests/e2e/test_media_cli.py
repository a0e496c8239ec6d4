"""Media inputs and text files through the real CLI (issue 12): the sandbox model says what it
received, logs and the journal describe media without its bytes, and a kind the profile's
provider cannot take, or a missing file, stops `plan`/`run` before the first act."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from tests.e2e.cli import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OPENAI_CONFIG = '[models.default]\nprovider = "openai"\nmodel = "gpt-4o-mini"\n'


def _example(cli: Cli) -> tuple[Path, str]:
    """examples/describe_image.toml and its picture, copied into the test's directory."""
    story = cli.cwd / "story"
    story.mkdir()
    for name in ("describe_image.toml", "checkerboard.png"):
        shutil.copy(EXAMPLES / name, story / name)
    body = base64.b64encode((story / "checkerboard.png").read_bytes()).decode()
    return story / "describe_image.toml", body


def test_run_in_the_sandbox_passes_the_image_and_never_logs_its_bytes(cli: Cli) -> None:
    path, body = _example(cli)
    size = (path.parent / "checkerboard.png").stat().st_size
    result = cli("-v", "--log-format", "json", "run", "--sandbox", str(path), "--json")
    assert result.code == 0, result.err
    (act,) = result.json()["acts"]
    assert act["output"] == (
        "[sandbox] describe: Describe this picture in one sentence for a channel topic. "
        f"[received image/png, {size} bytes]"
    )
    assert body not in result.err and body not in result.out
    logged = [json.loads(line) for line in result.err.splitlines() if line.startswith("{")]
    (done,) = [r for r in logged if r.get("logger") == "narrator.act"]
    assert done["input"]["media"] == [
        {
            "kind": "image",
            "mime": "image/png",
            "bytes": size,
            "source": "file checkerboard.png",
            "filename": "checkerboard.png",
        }
    ]
    shown = cli("runs", "show", "--sandbox", "--last", "--full")
    assert shown.code == 0, shown.err
    assert f"image: image/png, {size} bytes from file checkerboard.png" in shown.out
    assert body not in shown.out
    as_json = cli("runs", "show", "--sandbox", "--last", "--json")
    assert body not in as_json.out
    planned = cli("plan", "--sandbox", str(path))
    assert "+ model model default — with image/png from file checkerboard.png" in planned.out


def test_a_kind_the_provider_cannot_take_stops_plan_before_any_act(cli: Cli) -> None:
    cli.write("narrator.toml", OPENAI_CONFIG)
    cli.write("demo.mp4", "\x00\x00\x00\x18ftypmp42")
    cli.write(
        "watch.toml",
        '[narrative]\nname = "watch"\n\n[[act]]\nname = "review"\n'
        '[[act.input]]\ntype = "text"\ncontent = "Review the demo."\n'
        '[[act.input]]\ntype = "video"\nfile = "demo.mp4"\n',
    )
    for verb in ("plan", "run"):
        result = cli(verb, "watch.toml")
        assert result.code == 2, result.out + result.err
        assert (
            "watch.toml:9:1: act 'review': model profile 'default' (openai) cannot take this "
            "input: OpenAI-compatible APIs take no video" in result.err
        )
        assert "Traceback" not in result.err
    rehearsal = cli("run", "--sandbox", "watch.toml")  # the sandbox takes every kind
    assert rehearsal.code == 0, rehearsal.err


def test_a_missing_file_is_reported_at_its_input(cli: Cli) -> None:
    cli.write(
        "n.toml",
        '[[act]]\nname = "look"\n[[act.input]]\ntype = "image"\nfile = "gone.png"\n',
    )
    result = cli("run", "--sandbox", "n.toml")
    assert result.code == 2, result.out + result.err
    assert f"n.toml:3:1: act 'look': cannot read gone.png ({cli.cwd}/gone.png)" in result.err
    assert "No such file or directory" in result.err


def test_botticelli_context_file_found_through_botticelli_context_path(cli: Cli) -> None:
    context = cli.cwd / "context"
    cli.write("context/BOTTICELLI_CONTEXT.md", "Botticelli is a narrative engine.\nMore.\n")
    cli.write(
        "stories/gen.toml",
        '[narrative]\nname = "gen"\n[toc]\norder = ["write"]\n'
        '[[acts.write.input]]\ntype = "text"\nfile = "BOTTICELLI_CONTEXT.md"\n'
        '[[acts.write.input]]\ntype = "text"\ncontent = "Write a post about it."\n',
    )
    missing = cli("run", "--sandbox", "stories/gen.toml")
    assert missing.code == 2, missing.out + missing.err
    assert "'BOTTICELLI_CONTEXT.md' is in none of" in missing.err
    found = cli(
        "run",
        "--sandbox",
        "stories/gen.toml",
        "--json",
        env={"BOTTICELLI_CONTEXT_PATH": str(context)},
    )
    assert found.code == 0, found.err
    assert found.json()["acts"][0]["output"] == (
        "[sandbox] write: Botticelli is a narrative engine."
    )


def test_botticelli_media_resource_in_the_sandbox(cli: Cli) -> None:
    """[media.NAME] with a file relative to the working directory, as Botticelli reads it."""
    shutil.copy(EXAMPLES / "checkerboard.png", cli.cwd / "logo.png")
    size = (cli.cwd / "logo.png").stat().st_size
    cli.write(
        "stories/look.toml",
        '[narrative]\nname = "look"\n[media.logo]\nfile = "logo.png"\n'
        '[acts]\nlook = ["media.logo", "Describe the logo"]\n',
    )
    result = cli("run", "--sandbox", "stories/look.toml", "--json")
    assert result.code == 0, result.err
    assert result.json()["acts"][0]["output"] == (
        f"[sandbox] look: Describe the logo [received image/png, {size} bytes]"
    )
