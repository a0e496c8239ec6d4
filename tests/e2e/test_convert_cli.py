"""narrator convert through the real command: output, warnings, refusal to overwrite, and
`narrator plan --json` of the converted file equal to the original's."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.e2e.cli import Cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "convert"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "botticelli"
VARS = ("--var", "GUILD=100000000000000001", "--var", "TOPIC=rust", "--var", "AUDIENCE=devs")


def _copy_fixtures(cli: Cli) -> None:
    for path in FIXTURES.glob("*.toml"):
        shutil.copy(path, cli.cwd / path.name)


def test_convert_prints_the_native_file_and_warns_on_stderr_at_line_and_column(cli: Cli) -> None:
    _copy_fixtures(cli)
    result = cli("convert", "references.toml")
    assert result.code == 0, result.err
    assert result.out.startswith("# Post the weekly digest.\n")
    assert "[[act]]" in result.out and "[toc]" not in result.out
    assert "references.toml:30:1: warning: [bots.unused] is used by no act" in result.err
    assert "references.toml:51:1: warning: act 'drafts' is not in [toc] order" in result.err
    assert not (cli.cwd / "references.native.toml").exists()


def test_converted_file_validates_and_plans_like_the_original(cli: Cli) -> None:
    _copy_fixtures(cli)
    names = ("references", "structured", "nested")
    for name in names:
        made = cli("convert", f"{name}.toml", "-o", f"{name}_native.toml")
        assert made.code == 0, made.err
        assert f"wrote {name}_native.toml:" in made.err
    checked = cli("validate", *(f"{name}_native.toml" for name in names))
    assert checked.code == 0, checked.out + checked.err
    for name in ("references", "nested"):
        before = cli("plan", "--sandbox", "--json", f"{name}.toml", *VARS)
        after = cli("plan", "--sandbox", "--json", f"{name}_native.toml", *VARS)
        assert before.code == after.code == 0, before.err + after.err
        assert after.json() == before.json()


def test_an_existing_output_is_not_overwritten_without_force(cli: Cli) -> None:
    _copy_fixtures(cli)
    cli.write("taken.toml", "# mine\n")
    refused = cli("convert", "structured.toml", "-o", "taken.toml")
    assert refused.code == 2
    assert "taken.toml exists; not overwriting it" in refused.err
    assert "--force" in refused.err
    assert (cli.cwd / "taken.toml").read_text() == "# mine\n"
    forced = cli("convert", "structured.toml", "-o", "taken.toml", "--force")
    assert forced.code == 0, forced.err
    assert 'name = "greeter"' in (cli.cwd / "taken.toml").read_text()


def test_force_writes_through_a_symlink_and_into_a_device_instead_of_replacing_them(
    cli: Cli,
) -> None:
    _copy_fixtures(cli)
    cli.write("real.toml", "# old\n")
    (cli.cwd / "link.toml").symlink_to("real.toml")
    made = cli("convert", "structured.toml", "-o", "link.toml", "--force")
    assert made.code == 0, made.err
    assert (cli.cwd / "link.toml").is_symlink()
    assert 'name = "greeter"' in (cli.cwd / "real.toml").read_text()
    device = cli("convert", "structured.toml", "-o", "/dev/stdout", "--force")
    assert device.code == 0, device.err
    assert 'name = "greeter"' in device.out
    assert Path("/dev/stdout").exists() and not Path("/dev/stdout").resolve().is_file()
    assert sorted(p.name for p in cli.cwd.iterdir() if "tmp" in p.name or "pipe" in p.name) == []


def test_dash_means_stdout_and_a_native_or_broken_file_is_refused(cli: Cli) -> None:
    _copy_fixtures(cli)
    dash = cli("convert", "structured.toml", "-o", "-")
    assert dash.code == 0 and 'name = "greeter"' in dash.out
    native = cli("convert", "-o", "again.toml", "structured.toml")
    assert native.code == 0, native.err
    twice = cli("convert", "again.toml")
    assert twice.code == 2
    assert "already in the native format" in twice.err
    cli.write("broken.toml", '[toc]\norder = ["nope"]\n[acts]\na = "hi"\n')
    broken = cli("convert", "broken.toml")
    assert broken.code == 2
    assert "broken.toml:2:10: [toc] order names act 'nope'" in broken.err
    assert broken.out == ""


def test_nested_narrative_is_named_from_the_output_folder(cli: Cli) -> None:
    _copy_fixtures(cli)
    (cli.cwd / "out").mkdir()
    made = cli("convert", "nested.toml", "-o", "out/pick.toml")
    assert made.code == 0, made.err
    assert 'narrative = "../child_digest"' in (cli.cwd / "out" / "pick.toml").read_text()
    assert cli("validate", "out/pick.toml").code == 0


def test_every_shared_corpus_file_converts_to_a_file_that_plans_the_same(cli: Cli) -> None:
    assert (CORPUS / "publish_welcome.toml").is_file(), f"missing {CORPUS}"
    for path in sorted(CORPUS.glob("*.toml")):
        shutil.copy(path, cli.cwd / path.name)
    natives = []
    for path in sorted(CORPUS.glob("*.toml")):
        natives.append(f"{path.stem}_native.toml")
        made = cli("convert", path.name, "-o", natives[-1])
        assert made.code == 0, made.err
        assert "please report" not in made.err
    checked = cli("validate", *natives)
    assert checked.code == 0, checked.out + checked.err
    guild = ("--var", "TEST_GUILD_ID=100000000000000001")
    for stem in ("publish_welcome", "state_test_use"):
        before = cli("plan", "--sandbox", "--json", f"{stem}.toml", *guild)
        after = cli("plan", "--sandbox", "--json", f"{stem}_native.toml", *guild)
        assert after.code == before.code, after.err
        assert after.out == before.out, stem


def test_narrative_chooses_one_of_several_and_companions_need_an_output(cli: Cli) -> None:
    _copy_fixtures(cli)
    several = cli("convert", "multi.toml")
    assert several.code == 2 and "choose one with --narrative NAME" in several.err
    printed = cli("convert", "multi.toml", "--narrative", "daily")
    assert printed.code == 2 and "give -o OUT" in printed.err
    made = cli("convert", "multi.toml", "--narrative", "daily", "-o", "daily.toml")
    assert made.code == 0, made.err
    assert "wrote daily.toml (and daily.ideas.toml)" in made.err
    assert (cli.cwd / "daily.ideas.toml").is_file()
    assert cli("validate", "daily.toml").code == 0
    again = cli("convert", "multi.toml", "--narrative", "daily", "-o", "daily.toml")
    assert again.code == 2 and "daily.toml exists" in again.err
    before = cli("plan", "--sandbox", "--json", "multi.toml", "--narrative", "daily")
    after = cli("plan", "--sandbox", "--json", "daily.toml")
    assert before.code == after.code == 0, before.err + after.err
    assert after.json() == before.json()


def test_the_converted_publish_welcome_rehearses_like_the_original(tmp_path: Path) -> None:
    """Same plan, same meaning: both rehearse in the sandbox (each in its own directory)
    with the same acts, statuses, model calls, soft failure and model answers."""
    assert (CORPUS / "publish_welcome.toml").is_file(), f"missing {CORPUS}"
    runs = []
    for side in ("original", "converted"):
        cli = Cli(tmp_path / side)
        cli.cwd.mkdir()
        for path in CORPUS.glob("*.toml"):
            shutil.copy(path, cli.cwd / path.name)
        name = "publish_welcome.toml"
        if side == "converted":
            made = cli("convert", name, "-o", "native.toml")
            assert made.code == 0, made.err
            name = "native.toml"
        result = cli("run", "--sandbox", "--json", name)
        assert result.code == 0, result.err
        runs.append(result.json())
    original, converted = runs
    assert converted["summary"] == original["summary"]
    assert original["summary"]["model_calls"] == 4 and original["summary"]["soft_failures"] == 1
    shape = [
        [
            (a["name"], a["status"], a["output"] if isinstance(a["output"], str) else None)
            for a in run["acts"]
        ]
        for run in runs
    ]
    assert shape[1] == shape[0]
