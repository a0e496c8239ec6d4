"""Finding and reading the files inputs name (narrator.media_files): the bounded Botticelli
search, regular files only, size limits, clear errors naming the act, the check before a run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from narrator import logs, media
from narrator.config import load_config
from narrator.errors import ActFailed, Location, NarrativeInvalid
from narrator.media_files import (
    MAX_UP,
    FileProblem,
    load_part,
    load_text,
    preflight,
    read_bounded,
    resolve,
    search_dirs,
)
from narrator.parser import parse
from narrator.plan import FileRef, MediaInput, TextInput
from narrator.protocols import MediaPart

AT = Location("n.toml", 7, 1)


def test_a_bare_name_is_looked_up_upward_and_stops_at_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "CONTEXT.md").write_text("root")
    (tmp_path / "ABOVE.md").write_text("above the project root")
    monkeypatch.chdir(deep)
    env: dict[str, str] = {}
    assert resolve(FileRef(path="CONTEXT.md", search=True), env) == str(root / "CONTEXT.md")
    assert search_dirs(None, env) == [str(deep), str(root / "a"), str(root)]
    with pytest.raises(FileProblem) as info:
        resolve(FileRef(path="ABOVE.md", search=True), env)
    assert "set BOTTICELLI_CONTEXT_PATH" in str(info.value)


def test_botticelli_context_path_comes_first_and_the_narratives_directory_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "C.md").write_text("from the context path")
    (tmp_path / "story").mkdir()
    (tmp_path / "story" / "C.md").write_text("beside the narrative")
    (tmp_path / "story" / "ONLY.md").write_text("only here")
    (tmp_path / "work" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    env = {"BOTTICELLI_CONTEXT_PATH": str(tmp_path / "ctx")}
    story = str(tmp_path / "story")
    assert resolve(FileRef(path="C.md", base_dir=story, search=True), env) == str(
        tmp_path / "ctx" / "C.md"
    )
    assert resolve(FileRef(path="ONLY.md", base_dir=story, search=True), {}) == str(
        tmp_path / "story" / "ONLY.md"
    )


def test_the_upward_search_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(MAX_UP + 4)])
    deep.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "d0" / "d1"))  # the home directory stops it too
    dirs = search_dirs(None, {}, cwd=str(deep))
    assert len(dirs) == MAX_UP + 1
    home_stop = search_dirs(None, {}, cwd=str(tmp_path / "d0" / "d1" / "d2"))
    assert home_stop[-1] == str(tmp_path / "d0" / "d1")
    assert search_dirs(None, {"BOTTICELLI_CONTEXT_PATH": "/proc/self"})[-1] == "/proc/self"


def test_only_ordinary_files_within_the_limit_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileProblem, match="not an ordinary file"):
        read_bounded(str(fifo), 100)  # opening does not block, reading never happens
    with pytest.raises(FileProblem, match="system file"):
        read_bounded("/proc/self/environ", 100)
    link = tmp_path / "env"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(FileProblem, match="system file"):
        read_bounded(str(link), 100)
    with pytest.raises(FileProblem, match="system file"):
        read_bounded("/dev/zero", 100)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileProblem, match="101 bytes, more than the 100"):
        read_bounded(str(big), 100)
    assert read_bounded(str(big), 101) == b"x" * 101
    with pytest.raises(FileProblem, match="No such file"):
        read_bounded(str(tmp_path / "missing.png"), 100)


def test_loading_fails_naming_the_act_and_the_input(tmp_path: Path) -> None:
    image = MediaInput(
        kind="image",
        mime="image/png",
        file=FileRef(path="cat.png", base_dir=str(tmp_path)),
        location=AT,
    )
    with pytest.raises(ActFailed) as info:
        load_part(image, "look")
    assert str(info.value).startswith(f"n.toml:7:1: act 'look': image file: cannot read {tmp_path}")
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\nabc")
    part = load_part(image, "look")
    assert (part.kind, part.mime, part.size, part.filename) == ("image", "image/png", 11, "cat.png")
    assert part.data == media.encode_base64(b"\x89PNG\r\n\x1a\nabc")


def test_text_from_a_file_is_verbatim_and_secrets_are_redacted(tmp_path: Path) -> None:
    logs.add_secrets(["s3cret-value-123"])
    (tmp_path / "C.md").write_text("Use {braces} as they are. Token: s3cret-value-123\n")
    item = TextInput(content="", file=FileRef(path="C.md", base_dir=str(tmp_path)), location=AT)
    assert load_text(item, "a") == "Use {braces} as they are. Token: [redacted]\n"
    blob = "QUJD" * 200  # base64 in a context file reaches the model as written
    (tmp_path / "C.md").write_text(f"![x](data:image/png;base64,{blob})\n")
    assert load_text(item, "a") == f"![x](data:image/png;base64,{blob})\n"
    (tmp_path / "C.md").write_bytes(b"\xff\xfe")
    with pytest.raises(ActFailed, match="is not UTF-8 text"):
        load_text(item, "a")


def test_preflight_reports_missing_files_and_refused_media_at_their_place(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    source = tmp_path / "n.toml"
    text = (
        '[[act]]\nname = "watch"\nmodel = "vision"\n[[act.input]]\ntype = "video"\n'
        'file = "clip.mp4"\n[[act.input]]\ntype = "text"\nfile = "missing.md"\n'
    )
    plan = parse(text, str(source))
    with pytest.raises(NarrativeInvalid) as info:
        preflight(plan, lambda profile: (profile, "openai"))
    assert [str(p) for p in info.value.problems] == [
        f"{source}:4:1: act 'watch': model profile 'vision' (openai) cannot take this input: "
        "OpenAI-compatible APIs take no video; send the act to a profile that takes it "
        '(model = "...", see docs/models.md) or remove the input',
        f"{source}:7:1: act 'watch': cannot read missing.md ({tmp_path}/missing.md): "
        "No such file or directory; check the path",
    ]
    (tmp_path / "missing.md").write_text("here now")
    preflight(plan, lambda profile: (profile, "gemini"))  # Gemini takes video: no problem


def test_keys_and_configuration_are_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A narrative may come from someone else: it cannot send ~/.ssh, dotfiles or
    narrator.toml to a model, not even through a link with an ordinary name."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (home / "project").mkdir()
    (home / "project" / ".env").write_text("TOKEN=x")
    (home / "project" / "narrator.toml").write_text("[models.default]\n")
    (home / "project" / "cat.png").symlink_to(home / ".ssh" / "id_ed25519")
    (home / "project" / "ok.md").write_text("fine")
    monkeypatch.setenv("HOME", str(home))
    refused = {
        str(home / ".ssh" / "id_ed25519"): r"in a hidden directory \(\.ssh\)",
        str(home / "project" / "cat.png"): r"in a hidden directory \(\.ssh\)",
        str(home / "project" / ".env"): "is a hidden file",
        str(home / "project" / "narrator.toml"): "is narrator's configuration",
    }
    for path, why in refused.items():
        with pytest.raises(FileProblem, match=why):
            read_bounded(path, 100)
    assert read_bounded(str(home / "project" / "ok.md"), 100) == b"fine"
    plan = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ntype = "image"\nfile = "cat.png"\n',
        str(home / "project" / "n.toml"),
    )
    with pytest.raises(NarrativeInvalid, match="hidden directory"):
        preflight(plan)


def test_a_hidden_directory_anywhere_is_refused_and_dot_relative_forms_are_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/work/main/.git/config`` is outside the home directory, and still refused."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text("[remote] url = https://user:pw@example")
    (repo / "story").mkdir()
    (repo / "ok.md").write_text("fine")
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    with pytest.raises(FileProblem, match=r"in a hidden directory \(\.git\)"):
        read_bounded(str(repo / ".git" / "config"), 1000)
    monkeypatch.chdir(repo / "story")
    text = TextInput(content="", file=FileRef(path="../.git/config"), location=AT)
    with pytest.raises(ActFailed, match="hidden directory"):
        load_text(text, "a")
    for relative in ("../ok.md", "./../ok.md"):
        ok = TextInput(content="", file=FileRef(path=relative), location=AT)
        assert load_text(ok, "a") == "fine"


def test_a_configuration_read_with_any_name_is_never_sent(tmp_path: Path) -> None:
    """``narrator --config prod.toml run``: prod.toml is the configuration too."""
    (tmp_path / "prod.toml").write_text('[discord]\ntoken_env = "DISCORD_TOKEN"\n')
    assert read_bounded(str(tmp_path / "prod.toml"), 1000)  # an ordinary file until read
    load_config(str(tmp_path / "prod.toml"), environ={})
    with pytest.raises(FileProblem, match="is narrator's configuration"):
        read_bounded(str(tmp_path / "prod.toml"), 1000)


def test_a_text_document_is_redacted_as_a_text_file_is(tmp_path: Path) -> None:
    logs.add_secrets(["d0cument-secret-456"])
    (tmp_path / "notes.txt").write_bytes(b"key d0cument-secret-456 and \xff raw\n")
    (tmp_path / "C.md").write_text("key d0cument-secret-456\n")
    document = MediaInput(
        kind="document",
        mime="text/plain",
        file=FileRef(path="notes.txt", base_dir=str(tmp_path)),
        location=AT,
    )
    part = load_part(document, "a")
    assert part.data is not None
    sent = media.decode_base64(part.data)
    assert sent == b"key [redacted] and \xff raw\n" and part.size == len(sent)
    text = TextInput(content="", file=FileRef(path="C.md", base_dir=str(tmp_path)), location=AT)
    assert load_text(text, "a") == "key [redacted]\n"
    pdf = MediaInput(  # a binary document is sent byte for byte
        kind="document",
        mime="application/pdf",
        file=FileRef(path="notes.txt", base_dir=str(tmp_path)),
        location=AT,
    )
    assert pdf_data(load_part(pdf, "a")) == (tmp_path / "notes.txt").read_bytes()


def pdf_data(part: MediaPart) -> bytes:
    assert part.data is not None
    return media.decode_base64(part.data)
