"""The files media and text inputs name: found, checked and read when the act runs.

Where a file is (:func:`resolve`):

* native format: ``file`` relative to the narrative file's directory;
* Botticelli dialect: a path with ``/`` (or an absolute one) relative to the
  working directory, as Botticelli reads it; a bare name (``CONTEXT.md``) is
  looked up in ``$BOTTICELLI_CONTEXT_PATH`` (else the working directory), then
  in the directories above it — stopping at the first directory that holds
  ``.git`` or ``Cargo.toml`` (a project root, as Botticelli does), at the
  user's home directory, at the filesystem root, or after :data:`MAX_UP`
  levels, whichever comes first — and last in the narrative's own directory.
  Botticelli then searches every directory *below* the highest one it
  reached (from ``/`` when it found no project root); narrator walks no
  directory tree, so a bare name that lives neither on that path upward nor
  beside the narrative is not found: write its path with a ``/``.

What is read (:func:`read_bounded`): regular files only — never a FIFO, a
device, a socket or anything under ``/proc``, ``/sys`` or ``/dev``, nor a hidden
file, a file in any hidden directory (``.git/``, ``~/.ssh``, ``~/.aws``) or
narrator's configuration, whatever its name (:func:`off_limits`) — and at most
:data:`narrator.media.MAX_MEDIA_BYTES` (media) or
:data:`narrator.media.MAX_TEXT_FILE_BYTES` (text) bytes. Text read from a file is
sent as it is (no references resolved in it), with the values of secret
environment variables redacted — and so is a ``type = "document"`` file whose MIME type
is ``text/*`` (:func:`redact_bytes`). A failure is an :class:`~narrator.errors.ActFailed`
naming the act and the input's place in the narrative.

:func:`preflight` checks every file and every media input against the
provider its act will use, before a run or plan starts.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping

from narrator import logs, media
from narrator.errors import ActFailed, Location, NarrativeInvalid, Problem
from narrator.plan import Act, FileRef, MediaInput, Plan, TextInput
from narrator.protocols import MediaPart

__all__ = [
    "MAX_UP",
    "guard_config",
    "load_part",
    "load_text",
    "media_note",
    "preflight",
    "read_bounded",
    "reads_media",
    "resolve",
]

MAX_UP = 8  # directories above the start a bare Botticelli name is looked for in
_SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
_PROJECT_MARKERS = (".git", "Cargo.toml")


class FileProblem(Exception):
    """A file an input names cannot be used; the message says why and what to do."""


def search_dirs(
    base_dir: str | None,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> list[str]:
    """The directories a bare Botticelli name is looked for in, in order (bounded)."""
    env = os.environ if environ is None else environ
    try:
        start = os.path.abspath(env.get("BOTTICELLI_CONTEXT_PATH") or cwd or os.getcwd())
    except OSError:  # the working directory was removed
        return [os.path.abspath(base_dir)] if base_dir is not None else []
    home = os.path.abspath(os.path.expanduser("~"))
    dirs = [start]
    current = start
    for _ in range(MAX_UP):
        if current == home or any(
            os.path.exists(os.path.join(current, m)) for m in _PROJECT_MARKERS
        ):
            break
        parent = os.path.dirname(current)
        if parent == current or _special(parent):
            break
        dirs.append(parent)
        current = parent
    if base_dir is not None and os.path.abspath(base_dir) not in dirs:
        dirs.append(os.path.abspath(base_dir))
    return dirs


def resolve(ref: FileRef, environ: Mapping[str, str] | None = None) -> str:
    """The absolute path ``ref`` names (FileProblem when a bare name is found nowhere)."""
    path = os.path.expanduser(ref.path) if ref.path.startswith("~") else ref.path
    if not ref.search:
        if ref.base_dir is not None and not os.path.isabs(path):
            path = os.path.join(ref.base_dir, path)
        try:
            return os.path.abspath(path)
        except OSError as exc:  # a relative path and no working directory
            raise FileProblem(f"cannot resolve {ref.path}: {exc.strerror or exc}") from None
    dirs = search_dirs(ref.base_dir, environ)
    for directory in dirs:
        candidate = os.path.join(directory, path)
        if os.path.isfile(candidate):
            return candidate
    raise FileProblem(
        f"'{ref.path}' is in none of {', '.join(dirs)}; set BOTTICELLI_CONTEXT_PATH to its "
        "directory, or write its path with a '/' (relative to the working directory)"
    )


def _special(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in _SPECIAL_ROOTS)


_config_files: set[str] = set()  # the configuration files this process read (real paths)


def guard_config(path: str) -> None:
    """Remember a configuration file this process read (``--config prod.toml``): no input
    may send it, whatever its name (:func:`off_limits`)."""
    with contextlib.suppress(OSError):  # no working directory to resolve a relative name
        _config_files.add(os.path.realpath(path))


def off_limits(path: str, real: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why the file at ``path`` (``real`` once links are followed) may not be sent to a
    model, or None: a system file; a hidden file or anything in a hidden directory, anywhere
    (a path component starting with ``.``: ``.git/config``, ``~/.ssh``, ``.env`` — the
    relative forms ``./x`` and ``../x`` are no hidden names); narrator's configuration
    (``narrator.toml``, ``$NARRATOR_CONFIG`` and every file read with ``--config``).
    A narrative may come from someone else; it must not mail your keys to a provider."""
    if _special(real):
        return f"{path} is a system file ({real}); name an ordinary file"
    fix = "copy what you mean to send to an ordinary file and name that"
    if os.path.basename(real).startswith("."):
        return f"{path} is a hidden file ({real}); {fix}"
    for seen in (os.path.abspath(path), real):
        hidden = [part for part in seen.split(os.sep)[:-1] if part.startswith(".")]
        if hidden:
            return f"{path} is in a hidden directory ({hidden[0]}); {fix}"
    env = os.environ if environ is None else environ
    config = env.get("NARRATOR_CONFIG")
    if (
        os.path.basename(real) == "narrator.toml"
        or (config and real == os.path.realpath(config))
        or real in _config_files
    ):
        return f"{path} is narrator's configuration; {fix}"
    return None


def read_bounded(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path`` (FileProblem otherwise)."""
    real = os.path.realpath(path)
    why = off_limits(path, real)
    if why is not None:
        raise FileProblem(why)
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"{path} is not an ordinary file; name a file")
        if info.st_size > limit:
            raise FileProblem(
                f"{path} has {info.st_size} bytes, more than the {limit} an input may; "
                "send a smaller file"
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileProblem(f"{path} grew past the {limit} bytes an input may; send a smaller file")
    return data


def _failed(act: str, item: TextInput | MediaInput, why: str) -> ActFailed:
    return ActFailed(why, act=act, location=item.location)


def load_text(item: TextInput, act: str, environ: Mapping[str, str] | None = None) -> str:
    """The text of a ``type = "text"`` input with ``file``, secrets redacted."""
    assert item.file is not None
    try:
        path = resolve(item.file, environ)
        data = read_bounded(path, media.MAX_TEXT_FILE_BYTES)
    except FileProblem as exc:
        raise _failed(act, item, f"text file: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _failed(act, item, f"text file {path} is not UTF-8 text; save it as UTF-8") from None
    return logs.redact_secrets(text)


def redact_bytes(data: bytes) -> bytes:
    """The bytes of a text document with secrets redacted (:func:`logs.redact_secrets`);
    bytes that are not UTF-8 pass through unchanged around what is redacted."""
    text = data.decode("utf-8", "surrogateescape")
    redacted = logs.redact_secrets(text)
    return data if redacted == text else redacted.encode("utf-8", "surrogateescape")


def load_part(item: MediaInput, act: str, environ: Mapping[str, str] | None = None) -> MediaPart:
    """The :class:`MediaPart` a media input sends (a file read now, base64 as written)."""
    if item.url is not None:
        return MediaPart(item.kind, item.mime, url=item.url, filename=item.filename)
    if item.base64 is not None:
        size = len(item.base64) * 3 // 4 - item.base64[-2:].count("=")
        return MediaPart(item.kind, item.mime, data=item.base64, size=size, filename=item.filename)
    assert item.file is not None
    try:
        path = resolve(item.file, environ)
        data = read_bounded(path, media.MAX_MEDIA_BYTES)
    except FileProblem as exc:
        raise _failed(act, item, f"{item.kind} file: {exc}") from None
    if item.mime.startswith("text/"):  # a text document is text: redacted as text files are
        data = redact_bytes(data)
    return MediaPart(
        item.kind,
        item.mime,
        data=media.encode_base64(data),
        size=len(data),
        filename=item.filename or os.path.basename(path),
    )


def source_of(item: MediaInput) -> str:
    """Where a media input comes from, as the journal and logs show it."""
    if item.url is not None:
        return media.short_source(item.url)
    if item.file is not None:
        return f"file {item.file.path}"
    return "base64"


def media_note(act: Act) -> str | None:
    """What ``narrator plan`` says a model act sends besides its prompt (None: nothing)."""
    if not act.media_inputs:
        return None
    return "with " + ", ".join(f"{m.mime} from {source_of(m)}" for m in act.media_inputs)


# ----------------------------------------------------------------------------- before a run


def _walk(plan: Plan) -> Iterator[tuple[Plan, Act]]:
    for act in plan.acts:
        yield plan, act
        if act.subplan is not None:
            yield from _walk(act.subplan)


def reads_media(plan: Plan) -> bool:
    """Whether any act (nested ones too) has a media input or reads a text file."""
    return any(
        isinstance(item, MediaInput) or (isinstance(item, TextInput) and item.file is not None)
        for _, act in _walk(plan)
        for item in act.inputs
    )


def preflight(
    plan: Plan,
    provider_of: Callable[[str], tuple[str, str] | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Before a run or plan: every file an input names is readable and within its limit,
    and every media input goes to a provider that takes it. ``provider_of(profile)`` is
    ``(profile, provider)`` when known statically (None: decided when the act runs).

    Raises NarrativeInvalid with each problem at its input's place."""
    problems: list[Problem] = []
    for owner, act in _walk(plan):
        for item in act.inputs:
            if isinstance(item, TextInput | MediaInput) and item.file is not None:
                limit = (
                    media.MAX_MEDIA_BYTES
                    if isinstance(item, MediaInput)
                    else media.MAX_TEXT_FILE_BYTES
                )
                problem = _file_problem(item.file, limit, environ)
                if problem is not None:
                    problems.append(_problem(act, item, problem))
        if not act.media_inputs or provider_of is None or not act.is_model_act:
            continue
        known = provider_of(act.model or owner.model or "default")
        if known is None:
            continue
        profile, provider = known
        for part in act.media_inputs:
            why = media.refusal(provider, part.kind, part.mime, part.url is not None)
            if why is not None:
                problems.append(_problem(act, part, media.refused(profile, provider, why)))
    if problems:
        raise NarrativeInvalid(problems)


def _file_problem(ref: FileRef, limit: int, environ: Mapping[str, str] | None) -> str | None:
    path = ref.path
    try:
        path = resolve(ref, environ)
        real = os.path.realpath(path)
        why = off_limits(path, real, environ)
        if why is not None:
            return why
        info = os.stat(real)
    except FileProblem as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read {ref.path} ({path}): {exc.strerror or exc}; check the path"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not an ordinary file; name a file"
    if info.st_size > limit:
        return f"{path} has {info.st_size} bytes, more than the {limit} an input may"
    return None


def _problem(act: Act, item: TextInput | MediaInput, message: str) -> Problem:
    return Problem(
        item.location or act.location or Location("<narrative>"), f"act '{act.name}': {message}"
    )
