"""Media inputs and text from files, as the parser reads them (issue 12), in both dialects."""

from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from narrator.errors import NarrativeInvalid
from narrator.parser import parse, parse_file
from narrator.plan import FileRef, MediaInput, TextInput
from narrator.schema import narrative_json_schema

PNG64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
HEAD = '[narrative]\nname = "m"\n[[act]]\nname = "look"\n[[act.input]]\ncontent = "What?"\n'


def native(input_toml: str, source: str = "n.toml") -> MediaInput | TextInput:
    plan = parse(HEAD + "[[act.input]]\n" + input_toml, source)
    item = plan.acts[0].inputs[1]
    assert isinstance(item, MediaInput | TextInput)
    return item


def native_media(input_toml: str) -> MediaInput:
    item = native(input_toml)
    assert isinstance(item, MediaInput)
    return item


def problems(text: str, source: str = "n.toml") -> list[str]:
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, source)
    return [str(p) for p in info.value.problems]


# ----------------------------------------------------------------------------- native


def test_an_image_file_takes_its_mime_from_the_extension() -> None:
    item = native('type = "image"\nfile = "pics/cat.JPG"\n', "<string>")
    assert item == MediaInput(
        kind="image",
        mime="image/jpeg",
        file=FileRef(path="pics/cat.JPG"),
        location=item.location,
    )
    assert item.location is not None and (item.location.line, item.location.col) == (7, 1)


def test_a_file_is_relative_to_the_narratives_directory(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text(HEAD + '[[act.input]]\ntype = "document"\nfile = "plan.pdf"\n')
    (item,) = parse_file(path).acts[0].media_inputs
    assert item.file == FileRef(path="plan.pdf", base_dir=str(tmp_path))
    assert (item.kind, item.mime) == ("document", "application/pdf")


def test_url_base64_and_data_urls() -> None:
    by_url = native_media('type = "video"\nurl = "https://example.com/demo.mp4?x=1"\n')
    assert (by_url.kind, by_url.mime, by_url.url) == (
        "video",
        "video/mp4",
        "https://example.com/demo.mp4?x=1",
    )
    inline = native(f'type = "image"\nbase64 = """\n{PNG64[:20]}\n{PNG64[20:]}"""\n')
    assert isinstance(inline, MediaInput)
    assert (inline.mime, inline.base64, inline.url) == ("image/png", PNG64, None)  # sniffed
    data = native(f'type = "image"\nurl = "data:image/png;base64,{PNG64}"\n')
    assert isinstance(data, MediaInput)
    assert (data.mime, data.base64, data.url) == ("image/png", PNG64, None)
    audio = native_media(f'type = "audio"\nbase64 = "{PNG64}"\nmime = "Audio/WAV"\n')
    assert audio.mime == "audio/wav"


def test_a_text_input_may_read_a_file() -> None:
    item = native('type = "text"\nfile = "CONTEXT.md"\n', "<string>")
    assert item == TextInput(content="", file=FileRef(path="CONTEXT.md"), location=item.location)


def test_media_problems_are_located_and_say_the_fix() -> None:
    cases = {
        'type = "image"\n': "n.toml:7:1: an image input of act 'look' needs exactly one of url, "
        "file, base64 (it has none)",
        'type = "image"\nfile = "a.png"\nurl = "https://x/a.png"\n': "(it has url and file)",
        'type = "image"\nfile = "a.xyz"\n': "n.toml:9:8: cannot tell the MIME type of the file "
        "in act 'look'; add mime = ",
        'type = "image"\nbase64 = "not base64!"\n': "n.toml:9:10: base64 in act 'look' is not "
        "valid base64",
        'type = "image"\nfile = "a.pdf"\n': "n.toml:9:8: application/pdf is not an image type in "
        "act 'look'; write type = \"document\"",
        'type = "image"\nfile = "a.png"\nmime = "png"\n': "n.toml:10:8: mime 'png' is not a MIME",
        'type = "image"\nurl = "ftp://x/a.png"\n': "is not an http(s) or data: URL",
        'type = "image"\nfile = "a.png"\nsize = 3\n': "n.toml:10:1: unknown key 'size' in an "
        "image input of act 'look'",
        'type = "text"\nfile = "a.md"\ncontent = "x"\n': "n.toml:7:1: a text input of act "
        "'look' has content and file; keep one",
        'type = "picture"\nfile = "a.png"\n': "unknown input type 'picture'",
    }
    for body, expected in cases.items():
        found = problems(HEAD + "[[act.input]]\n" + body)
        assert any(expected in p for p in found), (body, found)


def test_an_act_with_only_media_asks_a_model() -> None:
    plan = parse('[[act]]\nname = "a"\n[[act.input]]\ntype = "image"\nfile = "x.png"\n')
    assert plan.acts[0].is_model_act


# ----------------------------------------------------------------------------- Botticelli

BOTT = """
[narrative]
name = "b"
[toc]
order = ["look", "read"]
[media.context]
file = "docs/BOTTICELLI_CONTEXT.md"
[media.logo]
url = "https://example.com/logo.webp"
[acts]
read = ["media.context", "Summarise it"]
[[acts.look.input]]
type = "text"
content = "Compare"
[[acts.look.input]]
type = "image"
url = "https://example.com/a.png"
base64 = "ignored"
file = "ignored.png"
[[acts.look.input]]
ref = "media.logo"
[[acts.look.input]]
type = "text"
file = "CONTEXT.md"
[[acts.look.input]]
type = "text"
file = "notes/today.md"
[[acts.look.input]]
type = "audio"
file = "talk.mp3"
"""


def test_botticelli_media_and_text_files(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text(BOTT)
    plan = parse_file(path)
    look, read = plan.acts
    image, logo, audio = look.media_inputs
    assert (image.kind, image.url, image.base64, image.file) == (
        "image",
        "https://example.com/a.png",  # Botticelli: url, then base64, then file
        None,
        None,
    )
    assert (logo.kind, logo.mime) == ("image", "image/webp")
    assert (audio.mime, audio.file) == (
        "audio/mp3",
        FileRef(path="talk.mp3", base_dir=str(tmp_path), search=True),
    )
    bare, with_slash = (t.file for t in look.text_inputs if t.file is not None)
    assert bare == FileRef(path="CONTEXT.md", base_dir=str(tmp_path), search=True)
    assert with_slash == FileRef(path="notes/today.md")  # relative to the working directory
    (context,) = read.media_inputs  # [media.X] file: as Botticelli reads it, from the cwd
    assert (context.kind, context.mime, context.file) == (
        "document",
        "text/markdown",
        FileRef(path="docs/BOTTICELLI_CONTEXT.md"),
    )
    assert read.is_model_act and look.is_model_act
    assert [str(w) for w in plan.warnings] == [
        f"{path}:18:1: 'base64' is ignored: Botticelli uses the first of url, base64, file "
        "written, here url; remove 'base64'",
        f"{path}:19:1: 'file' is ignored: Botticelli uses the first of url, base64, file "
        "written, here url; remove 'file'",
    ]


def test_botticelli_text_content_wins_over_file() -> None:
    text = '[acts]\n[[acts.a.input]]\ntype = "text"\ncontent = "Hi"\nfile = "X.md"\n'
    plan = parse(text)
    (item,) = plan.acts[0].inputs
    assert item == TextInput(content="Hi", location=item.location)
    assert [w.message for w in plan.warnings] == [
        "'file' is ignored: Botticelli uses content when both are written"
    ]


def test_botticelli_media_problems_are_located() -> None:
    found = problems('[media.m]\nmime = "image/png"\n[acts]\na = ["media.m"]\n', "b.toml")
    assert found == ["b.toml:1:1: [media.m] has no source; add one of url, file, base64"]
    found = problems('[media.m]\nfile = "x.bin"\n[acts]\na = ["media.m"]\n', "b.toml")
    assert found == [
        "b.toml:2:8: cannot tell the MIME type of the file in act 'a'; "
        'add mime = "image/png" (or the type it is)'
    ]
    found = problems('[acts]\n[[acts.a.input]]\ntype = "video"\nmime = "video/mp4"\n', "b.toml")
    assert found == [
        "b.toml:2:1: a video input of act 'a' has no source; add one of url, base64, file"
    ]


# ----------------------------------------------------------------------------- the schema


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ('type = "image"\nfile = "a.png"\n', True),
        ('type = "document"\nurl = "https://x/a.pdf"\nfilename = "a.pdf"\n', True),
        (f'type = "audio"\nbase64 = "{PNG64}"\nmime = "audio/wav"\n', True),
        ('type = "text"\nfile = "CONTEXT.md"\n', True),
        ('type = "image"\n', False),
        ('type = "image"\nfile = "a.png"\nurl = "https://x/a.png"\n', False),
        ('type = "image"\nfile = "a.png"\nsize = 3\n', False),
        ('type = "text"\nfile = "a.md"\ncontent = "x"\n', False),
    ],
)
def test_the_schema_and_validate_agree_on_media(body: str, ok: bool, tmp_path: Path) -> None:
    text = HEAD + "[[act.input]]\n" + body
    schema_ok = Draft202012Validator(narrative_json_schema()).is_valid(tomllib.loads(text))
    try:
        parse(text, os.fspath(tmp_path / "n.toml"))
        validate_ok = True
    except NarrativeInvalid:
        validate_ok = False
    assert (schema_ok, validate_ok) == (ok, ok)
