"""A Botticelli optional command refused as destructive stays a soft failure (exit 0, the act
goes on, as in Botticelli) and its text — in --json, the prompt and the journal — says how
to let it run."""

from __future__ import annotations

from tests.e2e.cli import Cli

WIPE = (
    '[narrative]\nname = "wipe"\ndescription = "d"\n[toc]\norder = ["wipe"]\n'
    '[bots.wipe]\nplatform = "discord"\ncommand = "messages.clear"\nchannel_id = "123"\n'
    '[acts]\nwipe = "bots.wipe"\n'
)
HINT = "run with --allow-destructive (or allow_destructive = true) to let it run"


def test_a_refused_optional_command_says_how_to_allow_it(cli: Cli) -> None:
    path = cli.write("wipe.toml", WIPE)
    ran = cli("run", "--sandbox", str(path), "--json")
    assert ran.code == 0, ran.err
    (act,) = ran.json()["acts"]
    assert act["status"] == "done"
    (failure,) = act["soft_failures"]
    assert failure == (
        "[Bot command 'messages.clear' failed: messages.clear is destructive and was refused "
        f"before any request; {HINT}]"
    )
    shown = cli("runs", "show", "--sandbox", "--last", "--json")
    assert shown.code == 0, shown.err
    assert HINT in shown.out  # journalled with the act
