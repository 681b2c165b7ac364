"""Small, valid media files for the media ids the simulator hands out.

The bot downloads what residents "sent" through /cgi-bin/media/get; these stand in for the
photos, voice notes and videos. Each file carries its media id, so two ids never give equal bytes.
"""

from __future__ import annotations

import struct

CONTENT_TYPES = {
    "image": "image/jpeg",
    "thumb": "image/jpeg",
    "voice": "audio/amr",
    "video": "video/mp4",
}
EXTENSIONS = {"image": "jpg", "thumb": "jpg", "voice": "amr", "video": "mp4"}


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg(comment: str) -> bytes:
    """An 8x8 mid-grey baseline JPEG with `comment` in a COM segment.

    One 8x8 block whose DC difference and AC run are both zero: with one-symbol Huffman
    tables (code "0") the entropy-coded data is the bits "00", padded with ones.
    """
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0
    scan = b"\x01\x01\x00\x00\x3f\x00"
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xE0, jfif),
            _segment(0xFE, comment.encode()[:60000]),
            _segment(0xDB, quant),
            _segment(0xC0, frame),
            _segment(0xC4, b"\x00" + one_code),
            _segment(0xC4, b"\x10" + one_code),
            _segment(0xDA, scan),
            b"\x3f",
            b"\xff\xd9",
        ]
    )


def amr(seconds: float = 1.0) -> bytes:
    """An AMR-NB file of NO_DATA frames (silence): `#!AMR\\n` then one byte per 20 ms frame."""
    return b"#!AMR\n" + b"\x7c" * max(1, int(seconds * 50))


def mp4_stub(comment: str) -> bytes:
    """An MP4 `ftyp` box plus a `free` box holding `comment`; identifies as MP4, does not play."""
    ftyp = b"ftypisom\x00\x00\x02\x00isomiso2mp41"
    free = b"free" + comment.encode()
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(free) + 4) + free


def mp4(comment: str) -> bytes:
    """A short clip that plays (sample_video.CLIP), with a `free` box holding `comment` at the
    end (players skip it)."""
    from bot.simulator.sample_video import CLIP

    free = b"free" + comment.encode()
    return CLIP + struct.pack(">I", len(free) + 4) + free


def media_bytes(kind: str, media_id: str) -> bytes:
    if kind in ("image", "thumb"):
        return jpeg(f"minyi simulator {kind} {media_id}")
    if kind == "voice":
        return amr()
    if kind == "video":
        return mp4(f"minyi simulator video {media_id}")
    raise ValueError(f"unknown media kind {kind!r}")
