"""guild.ensure's icon: made absolute beside the narrative at load (both dialects), and the
emulator refuses, as Discord does, an icon whose decoded bytes are not an image."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from narrator.parser import parse
from narrator.plan import BotCommandInput
from narrator.platforms.emulator.errors import ApiError
from narrator.platforms.emulator.routes.guild_settings import icon_hash

NATIVE = (
    '[narrative]\nname = "n"\n[[act]]\nname = "g"\n[[act.input]]\ntype = "bot_command"\n'
    'command = "guild.ensure"\n[act.input.args]\nicon = "{icon}"\n'
)
BOTTICELLI = (
    '[narrative]\nname = "n"\ndescription = "d"\n[toc]\norder = ["g"]\n'
    '[bots.server]\nplatform = "discord"\ncommand = "guild.ensure"\nicon = "{icon}"\n'
    '[acts]\ng = "bots.server"\n'
)


def _icon(text: str, source: str) -> object:
    (act,) = parse(text, source).acts
    (command,) = [i for i in act.inputs if isinstance(i, BotCommandInput)]
    return command.args["icon"]


@pytest.mark.parametrize("template", [NATIVE, BOTTICELLI], ids=["native", "botticelli"])
def test_a_literal_icon_path_is_relative_to_the_narrative(template: str, tmp_path: Path) -> None:
    source = str(tmp_path / "story" / "n.toml")
    assert _icon(template.format(icon="art/icon.png"), source) == str(
        tmp_path / "story" / "art" / "icon.png"
    )
    assert _icon(template.format(icon="../icon.png"), source) == str(tmp_path / "icon.png")
    for kept in ("/srv/icon.png", "${ICON}", "data:image/png;base64,AAAA", ""):
        assert _icon(template.format(icon=kept), source) == kept


def test_the_emulator_refuses_an_icon_that_is_not_an_image() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    good = "data:image/png;base64," + base64.b64encode(png).decode()
    assert len(icon_hash(good)) == 32
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 "
    assert icon_hash("data:image/webp;base64," + base64.b64encode(webp).decode())
    for bad in (
        "data:image/png;base64," + base64.b64encode(b"DISCORD_TOKEN=abc\n").decode(),
        "data:image/png;base64,not base64!",
        "data:text/plain;base64," + base64.b64encode(png).decode(),
    ):
        with pytest.raises(ApiError) as info:
            icon_hash(bad)
        assert (info.value.status, info.value.code) == (400, 50035)
