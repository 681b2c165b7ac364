"""Stored media on disk, content-addressed, and which files are accepted at all.

A file is named by the SHA-256 of its bytes: media.dir/ab/ab12…ef.jpg. Names are never taken
from WeChat or from a request, so nothing can point outside the directory; equal files are
stored once. Only images and audio whose bytes match their declared type are kept, and they
are served with the type their bytes show (never anything a browser would run).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# content type → file extension, for what is stored and served
TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/amr": "amr",
    "audio/amr-wb": "awb",
    "audio/speex": "spx",
    "audio/mpeg": "mp3",
}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/x-speex": "audio/speex",
           "audio/mp3": "audio/mpeg", "audio/x-amr": "audio/amr"}
GENERIC = ("", "application/octet-stream")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class Refused(ValueError):
    """Not a file Minyi keeps (type not allowed, or the bytes are something else)."""


def sniff(content: bytes) -> str | None:
    """The type the bytes themselves show, if it is one of TYPES."""
    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb"
    if head.startswith(b"#!AMR\n"):
        return "audio/amr"
    if head.startswith(b"OggS") and b"Speex" in content[:128]:
        return "audio/speex"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06):
        return "audio/mpeg"
    return None


def accept(declared: str, content: bytes) -> str:
    """The content type to store `content` under; Refused if it is not an accepted image or
    audio file. The declared type must be an image or audio type (or say nothing) and the
    bytes must be of an accepted type of the same family."""
    declared = (declared or "").split(";")[0].strip().lower()
    declared = ALIASES.get(declared, declared)
    family = declared.split("/")[0]
    if declared not in GENERIC and family not in ("image", "audio"):
        raise Refused(f"type {declared!r} is not an image or audio file")
    actual = sniff(content)
    if actual is None:
        raise Refused(f"the bytes of this {declared or 'file'} are not an accepted format")
    if declared not in GENERIC and actual.split("/")[0] != family:
        raise Refused(f"declared {declared}, but the bytes are {actual}")
    return actual


class MediaFiles:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, content_type: str) -> Path:
        if not _SHA.match(sha256 or "") or content_type not in TYPES:
            raise ValueError("not a stored media file")
        return self.root / sha256[:2] / f"{sha256}.{TYPES[content_type]}"

    def write(self, sha256: str, content_type: str, content: bytes) -> Path:
        """Store the bytes (atomically: a reader sees the whole file or none). Blocking: call
        it in a thread."""
        path = self.path_for(sha256, content_type)
        if path.exists() and path.stat().st_size == len(content):
            return path  # the same bytes, stored before
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def read(self, sha256: str, content_type: str) -> bytes | None:
        """The stored bytes, or None if the file is missing. Blocking: call it in a thread."""
        try:
            return self.path_for(sha256, content_type).read_bytes()
        except (OSError, ValueError):
            return None
