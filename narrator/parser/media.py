"""Media inputs and text read from files, in both dialects.

* native: ``[[act.input]] type = "image" | "audio" | "video" | "document"`` with
  exactly one of ``url``, ``file``, ``base64``, and ``mime`` (else from the
  file's or URL's extension, or from base64's first bytes); ``type = "text"``
  with ``file`` instead of ``content``. A relative ``file`` is relative to the
  narrative file's directory.
* Botticelli: the same input tables, with Botticelli's precedence when several
  sources are written (``url``, then ``base64``, then ``file``), and
  ``[media.NAME]`` resources (``url``, then ``file``, then ``base64``; the kind
  from the MIME type). A ``file`` with ``/`` in it is relative to the working
  directory; a bare name is looked up at run time
  (:func:`narrator.media_files.resolve`).

Nothing here reads a file: files are read when the act runs, and
``narrator plan``/``run`` check that they exist before the first act.
"""

from __future__ import annotations

import os
from typing import Any

from narrator import media
from narrator.parser.context import Context
from narrator.parser.fields import MEDIA_FIELDS, take
from narrator.parser.locate import Path
from narrator.plan import FileRef, MediaInput, TextInput

__all__ = [
    "FILE_ARGS",
    "botticelli_media",
    "botticelli_media_ref",
    "botticelli_text_file",
    "native_media",
    "native_text_file",
    "with_file_args",
]

SOURCES = ("url", "file", "base64")
_MIME_FIX = 'add mime = "image/png" (or the type it is)'


# command arguments that name a file narrator reads and sends (both dialects): a literal
# relative path is relative to the narrative file's directory, made absolute here
FILE_ARGS: dict[tuple[str, str], tuple[str, ...]] = {("discord", "guild.ensure"): ("icon",)}
_REFERENCE_MARKS = ("{", "$", "<")


def with_file_args(
    ctx: Context, platform: str, command: str, args: dict[str, Any]
) -> dict[str, Any]:
    """``args`` with each literal relative file argument (``guild.ensure icon``) joined to
    the narrative's directory, so the command never reads relative to the working
    directory. A value with a reference in it, a ``data:`` URI, ``""`` and ``~/…`` stay."""
    names = FILE_ARGS.get((platform, command), ())
    base = narrative_dir(ctx)
    if not names or base is None:
        return args
    out = dict(args)
    for name in names:
        value = out.get(name)
        if (
            isinstance(value, str)
            and value.strip()
            and not value.strip().startswith(("data:", "~"))
            and not any(mark in value for mark in _REFERENCE_MARKS)
            and not os.path.isabs(value.strip())
        ):
            out[name] = os.path.normpath(os.path.join(base, value.strip()))
    return out


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def narrative_dir(ctx: Context) -> str | None:
    """The directory of the file being parsed (None for text parsed from a string)."""
    if ctx.source.startswith("<"):
        return None
    return os.path.dirname(os.path.abspath(ctx.source))


def native_text_file(ctx: Context, file: str, path: Path) -> TextInput:
    """``type = "text"`` with ``file``: relative to the narrative's directory."""
    return TextInput(
        content="", file=FileRef(path=file, base_dir=narrative_dir(ctx)), location=ctx.at_key(path)
    )


def native_media(
    ctx: Context,
    table: dict[str, Any],
    path: Path,
    label: str,
    kind: str,
    *,
    ignored: frozenset[str] = frozenset(),
) -> MediaInput | None:
    """A native media input: exactly one of url, file, base64."""
    values = take(
        ctx, table, path, MEDIA_FIELDS, what=f"{_a(kind)} input of {label}", ignored=ignored
    )
    written = [key for key in SOURCES if key in table]
    if len(written) != 1:
        what = "none" if not written else " and ".join(written)
        ctx.key_problem(
            path,
            f"{_a(kind)} input of {label} needs exactly one of url, file, base64 (it has {what}); "
            f'write e.g. file = "picture.png"',
        )
        return None
    key = written[0]
    if key not in values:  # not a string: take() reported it
        return None
    ref = FileRef(path=values[key], base_dir=narrative_dir(ctx)) if key == "file" else None
    return _media(ctx, table, values, path, label, kind, key, ref)


def botticelli_media(
    ctx: Context, item: dict[str, Any], path: Path, label: str, ignored: frozenset[str]
) -> MediaInput | None:
    """A Botticelli ``type = "image"`` … input table (url, then base64, then file)."""
    kind = item["type"]
    values = take(
        ctx, item, path, MEDIA_FIELDS, what=f"{_a(kind)} input of {label}", ignored=ignored
    )
    key = next((k for k in ("url", "base64", "file") if k in item), None)
    if key is None:
        ctx.key_problem(
            path,
            f"{_a(kind)} input of {label} has no source; add one of url, base64, file",
        )
        return None
    _ignored_sources(ctx, item, path, key, ("url", "base64", "file"))
    if key not in values:
        return None
    ref = _botticelli_file(ctx, values[key]) if key == "file" else None
    return _media(ctx, item, values, path, label, kind, key, ref)


def botticelli_media_ref(
    ctx: Context, definition: dict[str, Any], path: Path, name: str, label: str
) -> MediaInput | None:
    """A ``[media.NAME]`` resource: url, then file (relative to the working directory, as
    Botticelli reads it), then base64; the kind from the MIME type or the extension."""
    fields = {k: v for k, v in MEDIA_FIELDS.items() if k != "type"}
    values = take(ctx, definition, path, fields, what=f"[media.{name}]")
    key = next((k for k in ("url", "file", "base64") if k in definition), None)
    if key is None:
        ctx.key_problem(path, f"[media.{name}] has no source; add one of url, file, base64")
        return None
    _ignored_sources(ctx, definition, path, key, ("url", "file", "base64"))
    if key not in values:
        return None
    ref = FileRef(path=values[key]) if key == "file" else None
    return _media(ctx, definition, values, path, label, None, key, ref)


def _ignored_sources(
    ctx: Context, table: dict[str, Any], path: Path, used: str, order: tuple[str, ...]
) -> None:
    """Botticelli takes the first source in ``order`` and drops the others: say so."""
    for key in order:
        if key in table and key != used:
            ctx.key_warning(
                (*path, key),
                f"'{key}' is ignored: Botticelli uses the first of {', '.join(order)} "
                f"written, here {used}; remove '{key}'",
            )


def botticelli_text_file(
    ctx: Context, item: dict[str, Any], path: Path, label: str
) -> TextInput | None:
    """Botticelli ``{ type = "text", file = "CONTEXT.md" }`` (content, when written, wins)."""
    file = item["file"]
    if not isinstance(file, str) or not file.strip():
        ctx.value_problem((*path, "file"), 'file must name a file: file = "CONTEXT.md"')
        return None
    for key in item:
        if key not in ("type", "file", "required", "cache_duration", "history_retention"):
            ctx.key_problem(
                (*path, key), f"unknown key '{key}' in a text input of {label}; known: type, file"
            )
    return TextInput(content="", file=_botticelli_file(ctx, file), location=ctx.at_key(path))


def _botticelli_file(ctx: Context, file: str) -> FileRef:
    """A path with ``/`` (or absolute) is relative to the working directory; a bare name is
    looked up when the act runs (the narrative's directory is the last place tried)."""
    if os.path.isabs(file) or "/" in file or "\\" in file:
        return FileRef(path=file)
    return FileRef(path=file, base_dir=narrative_dir(ctx), search=True)


def _media(
    ctx: Context,
    table: dict[str, Any],
    values: dict[str, Any],
    path: Path,
    label: str,
    kind: str | None,
    key: str,
    ref: FileRef | None,
) -> MediaInput | None:
    source = values[key]
    source_path: Path = (*path, key)
    mime: str | None = None
    if "mime" in table:
        if "mime" not in values:
            return None
        mime = values["mime"].strip().lower()
        if not media.is_mime(mime):
            ctx.value_problem(
                (*path, "mime"), f"mime {values['mime']!r} is not a MIME type; {_MIME_FIX}"
            )
            return None
    url: str | None = None
    data: str | None = None
    if key == "url":
        inline = media.parse_data_url(source)
        if inline is not None:
            mime = mime or inline[0]
            data = inline[1]
        elif not source.startswith(("https://", "http://", "gs://")):
            ctx.value_problem(
                source_path,
                f"url {source!r} in {label} is not an http(s) or data: URL; "
                'write url = "https://…", or use file = "…" for a local file',
            )
            return None
        else:
            url = source
            mime = mime or media.mime_of_name(source)
    elif key == "base64":
        data = source
    if data is not None:
        try:
            raw = media.decode_base64(data)
        except ValueError:
            ctx.value_problem(source_path, f"{key} in {label} is not valid base64; check the text")
            return None
        if len(raw) > media.MAX_MEDIA_BYTES:
            ctx.value_problem(
                source_path,
                f"{key} in {label} holds {len(raw)} bytes, more than the "
                f"{media.MAX_MEDIA_BYTES} a media input may; send a smaller one or a url",
            )
            return None
        mime = mime or media.sniff(raw)
        data = "".join(data.split())
    elif ref is not None:
        mime = mime or media.mime_of_name(ref.path)
    if mime is None:
        ctx.value_problem(
            source_path, f"cannot tell the MIME type of the {key} in {label}; {_MIME_FIX}"
        )
        return None
    belongs = media.kind_of_mime(mime)
    if kind is None:
        if belongs is None:
            ctx.value_problem(
                source_path,
                f"cannot tell whether {mime} is an image, audio, video or document; {_MIME_FIX}",
            )
            return None
        kind = belongs
    elif belongs != kind:
        where = (*path, "mime") if "mime" in table else source_path
        ctx.value_problem(
            where,
            f"{mime} is not {_a(kind)} type in {label}; "
            f'write type = "{belongs or "document"}" or the right mime',
        )
        return None
    return MediaInput(
        kind=kind,  # type: ignore[arg-type]
        mime=mime,
        url=url,
        file=ref,
        base64=data,
        filename=values.get("filename"),
        location=ctx.at_key(path),
    )
