"""Stored media on disk, content-addressed, and which files are accepted at all.

A file is named by the SHA-256 of its bytes: media.dir/ab/ab12…ef.jpg. Names are never taken
from WeChat or from a request, so nothing can point outside the directory; equal files are
stored once. Only images, audio and MP4 videos whose bytes match their declared type are kept,
and they are served with the type their bytes show (never anything a browser would run).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
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
    "video/mp4": "mp4",
}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "audio/x-speex": "audio/speex",
           "audio/mp3": "audio/mpeg", "audio/x-amr": "audio/amr", "video/mpeg4": "video/mp4"}
GENERIC = ("", "application/octet-stream")
FAMILIES = ("image", "audio", "video")
# the media kind of a slip (and of a copy row) → the family its file must be of
KIND_FAMILY = {"image": "image", "voice": "audio", "video": "video"}
# major brands of an ISO base media file that is an MP4 (what WeChat's videos are): ISO, MP4
# and AVC, Apple's M4V, Sony's MSNV; not QuickTime (qt), 3GPP or HEIF images
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41",
                        b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"dash"})
_SHA = re.compile(r"^[0-9a-f]{64}$")
# how much of a file's start `sniff` looks at
SNIFF_BYTES = 128


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
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS and int.from_bytes(head[:4]) >= 16:
        return "video/mp4"  # an ISO base media file starts with its `ftyp` box
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06):
        return "audio/mpeg"
    return None


def accept(declared: str, content: bytes, *, kind: str | None = None) -> str:
    """The content type to store `content` under; Refused if it is not an accepted image,
    audio or video file. The declared type must be an image, audio or video type (or say
    nothing) and the bytes must be of an accepted type of the same family; with `kind` (image,
    voice, video: what the resident sent) the file must also be of that kind's family."""
    declared = (declared or "").split(";")[0].strip().lower()
    declared = ALIASES.get(declared, declared)
    family = declared.split("/")[0]
    if declared not in GENERIC and family not in FAMILIES:
        raise Refused(f"type {declared!r} is not an image, audio or video file")
    actual = sniff(content)
    if actual is None:
        raise Refused(f"the bytes of this {declared or 'file'} are not an accepted format")
    if declared not in GENERIC and actual.split("/")[0] != family:
        raise Refused(f"declared {declared}, but the bytes are {actual}")
    expected = KIND_FAMILY.get(kind or "")
    if expected is not None and actual.split("/")[0] != expected:
        raise Refused(f"a {kind} was sent, but the bytes are {actual}")
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

    def receive(self) -> Incoming:
        """A file to be written piece by piece as it arrives (a video: never all in memory).
        Blocking: call it in a thread."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Incoming(self)

    def read(self, sha256: str, content_type: str) -> bytes | None:
        """The stored bytes, or None if the file is missing. Blocking: call it in a thread."""
        try:
            return self.path_for(sha256, content_type).read_bytes()
        except (OSError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Stored:
    """A file in the store: its name (hash and type), size and path."""

    sha256: str
    content_type: str
    size: int
    path: Path


class Incoming:
    """A file being received: a temporary file in the media directory, hashed (SHA-256) and
    counted as it is written; `keep` moves it into place under its hash (atomically), `discard`
    deletes it. The write, keep and discard calls block: call them in a thread."""

    def __init__(self, files: MediaFiles) -> None:
        self._files = files
        fd, tmp = tempfile.mkstemp(dir=files.root, prefix=".part-")
        self.tmp = Path(tmp)
        self._out = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def keep(self, content_type: str) -> Stored:
        sha = self._hash.hexdigest()
        path = self._files.path_for(sha, content_type)
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            if path.exists() and path.stat().st_size == self.size:
                self.tmp.unlink(missing_ok=True)  # the same bytes, stored before
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.tmp, path)
        except BaseException:
            self.discard()
            raise
        return Stored(sha, content_type, self.size, path)

    def discard(self) -> None:
        """Delete the partial file (a single unlink: safe to call from the event loop)."""
        try:
            self._out.close()
        finally:
            self.tmp.unlink(missing_ok=True)
