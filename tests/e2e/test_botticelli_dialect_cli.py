"""Botticelli's meaning through the command line, rehearsed in the sandbox (issue 12).

Each test runs ``narrator`` as a separate process on a fixture of
tests/fixtures/botticelli/ (written for these tests) or on the shared corpus
file publish_welcome.toml, and asserts what Botticelli's executor does: the
number of model calls, the acts' outputs, soft failures.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "botticelli"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "botticelli"
GUILD = "GUILD_ID=100000000000000001"


def test_run_narrative_chooses_one_narrative_of_a_file_with_several(cli: Cli) -> None:
    path = str(FIXTURES / "several_narratives.toml")
    refused = cli("run", "--sandbox", path)
    assert refused.code == 2
    assert "holds 2 narratives (draft, publish); choose one with --narrative NAME" in refused.err
    ran = cli("run", "--sandbox", path, "--narrative", "publish", "--json")
    assert ran.code == 0, ran.err
    report = ran.json()
    assert report["narrative"] == "publish"
    assert report["carousel"]["iterations_completed"] == 2
    composed = [a["output"] for a in report["acts"] if a["name"] == "compose"]
    assert (
        composed
        == ["[sandbox] write: Write a one-line announcement.\n\n[sandbox] improve: Improve it."] * 2
    )
    assert report["summary"]["model_calls"] == 4
    draft = cli("run", "--sandbox", path, "--narrative", "draft", "--json")
    assert [a["name"] for a in draft.json()["acts"]] == ["write", "improve"]


def test_plan_and_validate_take_narrative_too(cli: Cli) -> None:
    path = str(FIXTURES / "several_narratives.toml")
    planned = cli("plan", "--sandbox", path, "--narrative", "publish")
    assert planned.code == 0, planned.err
    assert "compose" in planned.out
    assert cli("validate", path).code == 0, "without --narrative: every narrative is checked"
    wrong = cli("validate", path, "--narrative", "nope")
    assert wrong.code == 2
    assert "no narrative 'nope' in this file; it holds: draft, publish" in wrong.out


def test_ignored_keys_are_warnings_on_stderr_and_the_file_runs(cli: Cli) -> None:
    path = str(FIXTURES / "ignored_keys.toml")
    checked = cli("validate", path)
    assert checked.code == 0
    assert f"{path}:7:1: warning: [config] is ignored" in checked.err
    assert f"{path}:26:1: warning: 'state_capture' in act 'make_channel' is ignored" in checked.err
    assert f"{path}:34:7: warning: act 'ask': the prompt's template names 'faq_content'" in (
        checked.err
    )
    listed = cli("validate", "--json", path).json()
    assert [(w["line"], w["column"]) for w in listed["warnings"]] == [(7, 1), (26, 1), (34, 7)]
    ran = cli("run", "--sandbox", path, "--var", GUILD, "--json")
    assert ran.code == 0, ran.err
    assert "warning: [config] is ignored" in ran.err
    ask = ran.json()["acts"][1]
    assert ask["output"] == (
        "[sandbox] ask: {% if faq_content %}Existing questions: {{ faq_content }}{% endif %}"
    )


def test_soft_failures_are_counted_and_journalled(cli: Cli) -> None:
    ran = cli("run", "--sandbox", str(FIXTURES / "soft_failures.toml"), "--var", GUILD, "--json")
    assert ran.code == 0, ran.err
    report = ran.json()
    assert report["summary"]["soft_failures"] == 2
    assert report["summary"]["model_calls"] == 1, "look: its commands and prompt, one call"
    acts = {a["name"]: a for a in report["acts"]}
    failure = acts["look"]["soft_failures"][0]
    assert failure.startswith("[Bot command 'messages.get' failed: ")
    assert "Unknown Message" in failure
    assert acts["look"]["output"] == f"[sandbox] look: {failure}"
    assert acts["stamp"]["output"]["content"] == "second", "the last command's result"
    stamp_id = acts["stamp"]["output"]["id"]
    assert acts["report"]["output"]["content"] == f"The last message was {stamp_id}."
    assert "2 soft failures" in ran.err
    shown = cli("runs", "show", "--sandbox", "--last", "--json").json()
    errors = {a["name"]: a["error"] for a in shown["acts"]}
    assert errors["look"].startswith("soft failure: [Bot command 'messages.get' failed: ")
    assert errors["make_channel"] is None


def test_a_nested_carousel_runs_once(cli: Cli) -> None:
    ran = cli("run", "--sandbox", str(FIXTURES / "nests_a_carousel.toml"), "--json")
    assert ran.code == 0, ran.err
    report = ran.json()
    assert [a["name"] for a in report["acts"]] == ["ideas", "pick", "generate", "choose"]
    assert report["summary"]["model_calls"] == 3
    assert report["acts"][2]["output"] == "Action completed successfully"


def test_a_placeholder_id_fails_validation_at_its_line(cli: Cli) -> None:
    path = str(FIXTURES / "placeholder_id.toml")
    checked = cli("validate", path)
    assert checked.code == 2
    assert checked.out.startswith(f'{path}:11:12: guild_id = "YOUR_GUILD_ID_HERE" is not a')


def test_publish_welcome_makes_botticellis_model_calls(cli: Cli) -> None:
    """The nested welcome_content_generation declares 3 iterations; Botticelli runs it
    once: 3 model calls inside, 1 for select_best (narrator made 9 + 1 before)."""
    path = CORPUS / "publish_welcome.toml"
    ran = cli("run", "--sandbox", "--allow-destructive", str(path), "--json")
    assert ran.code == 0, ran.err
    report = ran.json()
    assert report["summary"]["model_calls"] == 4
    names = [a["name"] for a in report["acts"]]
    assert names == [
        "create_channel",
        "clear_channel",
        "generate_batch",
        "critique_batch",
        "refine_best",
        "generate_content",
        "select_best",
        "publish_message",
        "pin_message",
    ]
    acts = {a["name"]: a for a in report["acts"]}
    assert acts["generate_content"]["output"] == "Action completed successfully"
    assert acts["pin_message"]["output"]["id"] == acts["publish_message"]["output"]["id"]


def test_resume_picks_the_narrative_the_run_ran(cli: Cli) -> None:
    """A resumed run of a file with several narratives reads the same one again."""
    path = cli.write(
        "two.toml",
        """\
[narrative.one]
toc = ["a"]

[narrative.two]
toc = ["b", "c"]

[acts]
a = "Hello."
b = "Say something."

[acts.c]

[[acts.c.input]]
type = "bot_command"
platform = "discord"
command = "messages.get"
required = true

[acts.c.input.args]
channel_id = "100000000000000777"
message_id = "100000000000000778"
""",
    )
    first = cli("run", "--sandbox", str(path), "--narrative", "two", "--json")
    assert first.code == 1
    report = first.json()
    assert [(a["name"], a["status"]) for a in report["acts"]] == [("b", "done"), ("c", "failed")]
    again = cli("resume", "--sandbox", report["run_id"], "--json")
    assert again.code == 1, again.err
    assert "--narrative" not in again.err
    assert [(a["name"], a["status"]) for a in again.json()["acts"]] == [
        ("b", "done"),
        ("c", "failed"),
    ]


def test_plan_shows_an_optional_command_that_would_fail_softly(cli: Cli) -> None:
    """publish_welcome's messages.clear is destructive: refused without
    --allow-destructive, it is a soft failure and the plan goes on."""
    planned = cli("plan", "--sandbox", str(CORPUS / "publish_welcome.toml"))
    assert planned.code == 0, planned.err
    assert (
        "      ! soft failure [Bot command 'messages.clear' failed: messages.clear is "
        "destructive and was refused before any request; run with --allow-destructive (or "
        "allow_destructive = true) to let it run]"
    ) in planned.out
    assert "  run   select_best" in planned.out
