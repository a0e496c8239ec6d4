"""guild.ensure's icon file (issue 16, security): read through the media inputs' guarded,
bounded reader, relative to the narrative's folder, only when it is an image — never
``/proc/self/environ`` (the environment, tokens included) sent to Discord as base64."""

from __future__ import annotations

import base64
from pathlib import Path

from narrator.platforms.discord.converge.setup_decide import ICON_MAX_BYTES
from tests.e2e.cli import Cli

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = "icon-test-secret-value-93817"


def _story(cli: Cli, icon: str) -> Path:
    story = cli.cwd / "story"
    story.mkdir(exist_ok=True)
    path = story / "icon.toml"
    path.write_text(
        '[narrative]\nname = "icon"\n[[act]]\nname = "g"\n[[act.input]]\n'
        'type = "bot_command"\ncommand = "guild.ensure"\n'
        f"[act.input.args]\nicon = {icon!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    return path


def _run(cli: Cli, path: Path) -> tuple[int, str]:
    result = cli("run", "--sandbox", str(path), "--json", env={"DISCORD_TOKEN": SECRET})
    return result.code, result.out + result.err


def test_a_system_file_is_never_read_as_the_icon(cli: Cli) -> None:
    code, out = _run(cli, _story(cli, "/proc/self/environ"))
    assert code == 1, out
    assert "system file" in out
    assert SECRET not in out and base64.b64encode(SECRET.encode()).decode()[:16] not in out


def test_a_relative_icon_is_read_beside_the_narrative_not_in_the_working_directory(
    cli: Cli,
) -> None:
    path = _story(cli, "art/icon.png")
    (path.parent / "art").mkdir()
    (path.parent / "art/icon.png").write_bytes(PNG)
    code, out = _run(cli, path)  # the working directory is cli.cwd, above story/
    assert code == 0, out
    assert '"icon": "' in out  # the hash Discord (the sandbox) answered


def test_a_file_that_is_not_an_image_is_refused(cli: Cli) -> None:
    path = _story(cli, "notes.png")
    (path.parent / "notes.png").write_text(f"token={SECRET}\n", encoding="utf-8")
    code, out = _run(cli, path)
    assert code == 1, out
    assert "is not a PNG, JPEG, GIF or WebP image" in out
    assert SECRET not in out


def test_an_icon_over_discords_limit_is_refused_before_it_is_read(cli: Cli) -> None:
    path = _story(cli, "big.png")
    with (path.parent / "big.png").open("wb") as handle:
        handle.write(PNG)
        handle.truncate(ICON_MAX_BYTES + 1)  # sparse: nothing to read past the header
    code, out = _run(cli, path)
    assert code == 1, out
    assert f"more than the {ICON_MAX_BYTES}" in out


def test_a_hidden_file_is_refused(cli: Cli) -> None:
    path = _story(cli, ".secret/icon.png")
    (path.parent / ".secret").mkdir()
    (path.parent / ".secret/icon.png").write_bytes(PNG)
    code, out = _run(cli, path)
    assert code == 1, out
    assert "hidden" in out
