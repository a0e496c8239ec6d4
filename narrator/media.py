"""Media inputs, pure: kinds, MIME types, base64, what each provider takes, descriptions.

An act may send images, audio, video and documents with its prompt
(``type = "image"`` … in both dialects). This module decides everything about
them that needs no disk and no network: the MIME type of a file name or URL
(:func:`mime_of_name`) or of the bytes themselves (:func:`sniff`), the kind a
MIME type belongs to, whether base64 text is valid, which provider takes which
kind from which source (:func:`refusal`), and how a part is described in logs,
the journal and the sandbox — by kind, MIME type, size and source, never by its
bytes (:func:`describe`). Reading files is :mod:`narrator.media_files`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "HISTORY_INLINE_LIMIT",
    "MAX_MEDIA_BYTES",
    "MAX_TEXT_FILE_BYTES",
    "MEDIA_KINDS",
    "MediaKind",
    "decode_base64",
    "describe",
    "kind_of_mime",
    "mime_of_name",
    "openai_audio_format",
    "parse_data_url",
    "refusal",
    "refused",
    "sniff",
]

MediaKind = Literal["image", "audio", "video", "document"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("image", "audio", "video", "document")

MAX_MEDIA_BYTES = 20 * 1024 * 1024  # one media input (a file or base64), after decoding
MAX_TEXT_FILE_BYTES = 1024 * 1024  # one text input read from a file
# inline media larger than this is replaced by "[Image: image/png]" in the conversation
# history of later acts (Botticelli's AUTO_SUMMARY_THRESHOLD); URLs and small media are kept
HISTORY_INLINE_LIMIT = 10_000

_BY_EXTENSION = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp3": "audio/mp3",  # Botticelli's spelling; Gemini takes it, OpenAI's format is "mp3"
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "md": "text/markdown",
    "json": "application/json",
    "csv": "text/csv",
    "html": "text/html",
}

_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_DATA_URL = re.compile(r"^data:([^;,]+);base64,(.*)$", re.DOTALL)


def mime_of_name(name: str) -> str | None:
    """The MIME type a file name or URL's extension says (``None`` when unknown)."""
    path = urlsplit(name).path if "://" in name else name
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    return _BY_EXTENSION.get(path[dot + 1 :].lower())


def is_mime(text: str) -> bool:
    """``type/subtype`` in lower case."""
    return bool(_MIME.match(text))


def kind_of_mime(mime: str) -> MediaKind | None:
    """``image/*`` → image, ``audio/*`` → audio, ``video/*`` → video, ``application/*`` and
    ``text/*`` → document (Botticelli's rule for ``[media.X]``)."""
    top = mime.split("/", 1)[0]
    if top in ("image", "audio", "video"):
        return top  # type: ignore[return-value]
    if top in ("application", "text"):
        return "document"
    return None


def sniff(data: bytes) -> str | None:
    """The MIME type the first bytes announce (PNG, JPEG, GIF, WebP, PDF, WAV, MP3, OGG,
    MP4, WebM), for base64 written without ``mime``."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"ID3", "audio/mp3"),
        (b"OggS", "audio/ogg"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
    )
    for magic, mime in signatures:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mp3"  # an MPEG audio frame without an ID3 tag
    return None


def decode_base64(text: str) -> bytes:
    """The bytes of base64 ``text`` (whitespace and line breaks allowed); ValueError if invalid."""
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse_data_url(url: str) -> tuple[str, str] | None:
    """``data:MIME;base64,DATA`` → (MIME, DATA); None for any other URL."""
    match = _DATA_URL.match(url)
    if match is None:
        return None
    return match.group(1).strip().lower(), "".join(match.group(2).split())


def openai_audio_format(mime: str) -> str | None:
    """``input_audio``'s format for a MIME type: ``wav`` or ``mp3`` (the two it takes)."""
    sub = mime.split("/", 1)[-1]
    if sub in ("wav", "x-wav", "wave", "vnd.wave"):
        return "wav"
    if sub in ("mp3", "mpeg", "mpeg3", "x-mp3"):
        return "mp3"
    return None


def is_text_document(mime: str) -> bool:
    """A document whose bytes are text (sent as text where a provider has no file part)."""
    return mime.startswith("text/") or mime in ("application/json", "application/xml")


ANTHROPIC_IMAGES = ("image/jpeg", "image/png", "image/gif", "image/webp")
PROVIDER_NAMES = {
    "openai": "OpenAI-compatible APIs",
    "anthropic": "Anthropic's Messages API",
    "gemini": "Gemini",
}


def refusal(provider: str, kind: str, mime: str, by_url: bool) -> str | None:
    """Why ``provider`` cannot take this part, or None when it can.

    ``provider`` is a profile's provider (``openai``, ``anthropic``, ``gemini``,
    ``sandbox``); ``by_url`` says the part is a URL rather than inline bytes. The
    table is docs/models.md's "Media inputs".
    """
    name = PROVIDER_NAMES.get(provider, provider)
    if provider == "openai":
        if kind == "video":
            return f"{name} take no video"
        if kind == "audio":
            if by_url:
                return f"{name} take audio only inline (file or base64), not by URL"
            if openai_audio_format(mime) is None:
                return f"{name} take wav or mp3 audio, not {mime}"
        if kind == "document":
            if by_url:
                return f"{name} take documents only inline (file or base64), not by URL"
            if mime != "application/pdf" and not is_text_document(mime):
                return f"{name} take PDF or text documents, not {mime}"
        return None
    if provider == "anthropic":
        if kind in ("audio", "video"):
            return f"{name} takes no {kind}"
        if kind == "image" and mime not in ANTHROPIC_IMAGES:
            return f"{name} takes JPEG, PNG, GIF or WebP images, not {mime}"
        if kind == "document":
            if mime != "application/pdf" and not is_text_document(mime):
                return f"{name} takes PDF or text documents, not {mime}"
            if by_url and mime != "application/pdf":
                return f"{name} takes only PDF documents by URL; use file or base64"
        return None
    return None  # gemini and the sandbox take every kind


def refused(profile: str, provider: str, why: str) -> str:
    """The one wording of "this profile cannot take that part" (before a run and in the
    providers)."""
    return (
        f"model profile '{profile}' ({provider}) cannot take this input: {why}; "
        'send the act to a profile that takes it (model = "...", see docs/models.md) '
        "or remove the input"
    )


def describe(
    kind: str, mime: str, size: int | None, source: str, filename: str | None = None
) -> dict[str, object]:
    """What logs and the journal keep of a media part: never its bytes."""
    out: dict[str, object] = {"kind": kind, "mime": mime}
    if size is not None:
        out["bytes"] = size
    out["source"] = source
    if filename:
        out["filename"] = filename
    return out


def short_source(url: str) -> str:
    """A URL as logs show it: a ``data:`` URL by its MIME type and length, not its body."""
    parsed = parse_data_url(url)
    if parsed is not None:
        return f"data:{parsed[0]};base64,[{len(parsed[1])} characters]"
    return url if len(url) <= 200 else url[:197] + "..."
