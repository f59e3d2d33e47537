"""Safe unpacking of what arrives packed: zip archives, e-mail messages, and file names in
legacy encodings. Pure: no Django import; ``services`` stores what comes out.

Zip archives
    Each member becomes an item of its own; the archive is preserved too, unchanged. A
    member is refused (and named in the archive's preservation record) when its path is
    absolute (``/x``, ``C:\\x``, ``\\\\host\\x``), climbs out (``../``), holds a NUL, is a
    symbolic link, or is encrypted. Decompression is metered while it streams, not from
    the sizes the archive claims: once the members together give more than
    ``Limits.max_total`` bytes, or more than ``Limits.max_ratio`` times the archive's own
    size (beyond a floor of ``Limits.ratio_floor``), unpacking stops and no member is
    kept: a zip bomb is preserved as an archive and nothing else. Archives inside an
    archive are preserved as items, not unpacked again.

Member names
    A name whose UTF-8 flag is set is UTF-8. Otherwise: plain ASCII stays as it is; an
    Info-ZIP Unicode Path field (0x7075) whose CRC matches is used; bytes that are valid
    UTF-8 are read as UTF-8 (many tools write UTF-8 without the flag); otherwise the zip
    standard's cp437 is tried, and when that gives mojibake (symbols, box drawing, Greek
    letters between Latin ones) while Windows-1256 gives Persian or Arabic words (no word
    mixes Latin and Arabic letters), the name is read as Windows-1256. The raw bytes and
    the encoding chosen go into the preservation record, so nothing is lost if the guess is
    wrong. Names on the local filesystem that are not UTF-8 get the same treatment.

E-mail
    An ``.eml`` message is preserved as it is; its headers are recorded, and each attachment
    (a part with a file name or ``Content-Disposition: attachment``, and any attached
    message) becomes an item linked to the message.
"""

from __future__ import annotations

import email
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from typing import IO, Any

__all__ = [
    "Attachment",
    "BombError",
    "DecodedName",
    "Email",
    "Limits",
    "Member",
    "Meter",
    "Refusal",
    "decode_fs_name",
    "decode_name",
    "member_reader",
    "parse_email",
    "plan_zip",
]


@dataclass(frozen=True)
class Limits:
    """How much unpacking one archive may produce."""

    max_total: int = 16 << 30  # bytes out of one archive, whatever its size
    max_ratio: int = 100  # bytes out per byte of archive …
    ratio_floor: int = 64 << 20  # … once more than this has come out
    max_members: int = 100_000
    max_email: int = 512 << 20  # larger messages are preserved but not taken apart

    def budget(self, archive_size: int) -> int:
        return min(self.max_total, max(self.ratio_floor, self.max_ratio * archive_size))


class BombError(Exception):
    """Decompression produced more than the limits allow."""


@dataclass(frozen=True)
class DecodedName:
    text: str
    encoding: str
    raw: bytes

    def record(self) -> dict[str, str]:
        """What goes into a preservation record when the name was not plain UTF-8."""
        if self.encoding in ("ascii", "utf-8"):
            return {}
        return {"name_encoding": self.encoding, "name_bytes": self.raw.hex()}


@dataclass(frozen=True)
class Refusal:
    name: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class Member:
    info: zipfile.ZipInfo
    name: DecodedName
    path: str  # '/'-separated path inside the archive


# ------------------------------------------------------------------------- names

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_WORD = re.compile(r"[^\W\d_]+(?:[\u200c\u200d][^\W\d_]+)*", re.UNICODE)


def _latin_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and "LATIN" in unicodedata.name(ch, "")


def _mojibake(text: str) -> bool:
    """cp437 text with anything beyond accented Latin letters is almost surely misread."""
    return any(ord(ch) >= 0x80 and not _latin_letter(ch) for ch in text)


def _plausible_arabic_script(text: str) -> bool:
    if "\ufffd" in text or any(unicodedata.category(ch) == "Cc" for ch in text):
        return False
    if not _ARABIC.search(text):
        return False
    for word in _WORD.findall(text):
        has_arabic = bool(_ARABIC.search(word))
        has_latin = any(_latin_letter(ch) for ch in word)
        if has_arabic and has_latin:
            return False
    return True


def _unicode_path_field(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (0x7075), if present and matching ``raw``."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if tag == 0x7075 and len(body) >= 5 and body[0] == 1:
            (crc,) = struct.unpack_from("<I", body, 1)
            if crc == zlib.crc32(raw):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
    return None


def decode_name(raw: bytes, utf8_flag: bool = False, extra: bytes = b"") -> DecodedName:
    """A zip member's name from its raw bytes (see the module docstring for the rule)."""
    if utf8_flag:
        return DecodedName(raw.decode("utf-8", "replace"), "utf-8", raw)
    if raw.isascii():
        return DecodedName(raw.decode("ascii"), "ascii", raw)
    unicode_path = _unicode_path_field(extra, raw)
    if unicode_path is not None:
        return DecodedName(unicode_path, "utf-8 (unicode path field)", raw)
    try:
        return DecodedName(raw.decode("utf-8"), "utf-8", raw)
    except UnicodeDecodeError:
        pass
    as_cp437 = raw.decode("cp437")
    if _mojibake(as_cp437):
        as_cp1256 = raw.decode("cp1256", "replace")
        if _plausible_arabic_script(as_cp1256):
            return DecodedName(as_cp1256, "cp1256", raw)
    return DecodedName(as_cp437, "cp437", raw)


def decode_fs_name(name: str) -> DecodedName:
    """A local file name, which on POSIX is bytes: UTF-8, else Windows-1256 when that reads
    as Persian or Arabic, else UTF-8 with the undecodable bytes shown as \\xNN."""
    raw = os.fsencode(name)
    try:
        return DecodedName(raw.decode("utf-8"), "ascii" if raw.isascii() else "utf-8", raw)
    except UnicodeDecodeError:
        pass
    as_cp1256 = raw.decode("cp1256", "replace")
    if _plausible_arabic_script(as_cp1256):
        return DecodedName(as_cp1256, "cp1256", raw)
    return DecodedName(raw.decode("utf-8", "backslashreplace"), "unknown", raw)


# ------------------------------------------------------------------------- zip


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    if info.flag_bits & 0x800:
        return info.orig_filename.encode("utf-8", "surrogateescape")
    return info.orig_filename.encode("cp437")


def _path_problem(path: str) -> str | None:
    if "\x00" in path:
        return "the name holds a NUL byte"
    unified = path.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        return "absolute path"
    if ".." in unified.split("/"):
        return "the path climbs out of the archive (../)"
    return None


def plan_zip(archive: zipfile.ZipFile, limits: Limits) -> tuple[list[Member], list[Refusal]]:
    """The members to unpack and the ones refused, from the central directory."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        return [], [Refusal("*", f"{len(infos)} members, more than {limits.max_members}")]
    members: list[Member] = []
    refused: list[Refusal] = []
    for info in infos:
        raw = _raw_name(info)
        name = decode_name(raw, bool(info.flag_bits & 0x800), info.extra)
        if info.is_dir():
            continue
        problem = _path_problem(name.text)
        mode = info.external_attr >> 16
        if problem is None and (mode & 0o170000) == 0o120000:
            problem = "symbolic link"
        if problem is None and info.flag_bits & 0x1:
            problem = "encrypted member (no password)"
        if problem is not None:
            refused.append(Refusal(name.text, problem))
            continue
        path = name.text.replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        members.append(Member(info, name, path))
    return members, refused


class Meter:
    """Counts every byte decompressed from one archive against its budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.total = 0

    def add(self, n: int) -> None:
        self.total += n
        if self.total > self.budget:
            raise BombError(
                f"unpacking gave more than {self.budget:,} bytes: refused as a zip bomb"
            )


class _MeteredReader:
    def __init__(self, inner: IO[bytes], meter: Meter) -> None:
        self._inner = inner
        self._meter = meter

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n if n is not None and n >= 0 else 1 << 20)
        self._meter.add(len(data))
        return data

    def close(self) -> None:
        self._inner.close()


def member_reader(archive: zipfile.ZipFile, member: Member, meter: Meter) -> Any:
    """A reader of the member's bytes that raises BombError past the archive's budget."""
    return _MeteredReader(archive.open(member.info), meter)


# ------------------------------------------------------------------------- e-mail


@dataclass(frozen=True)
class Attachment:
    index: int
    name: str
    content_type: str
    data: bytes


@dataclass
class Email:
    headers: list[list[str]]
    summary: dict[str, str]
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_SUMMARY = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "date": "Date",
    "subject": "Subject",
    "message_id": "Message-ID",
}


def _header_text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a header the parser cannot render is recorded as its raw form
        return repr(value)


def _attachment_parts(message: Message) -> list[Message]:
    out: list[Message] = []
    for part in message.iter_parts() if isinstance(message, EmailMessage) else []:
        if part.get_content_type() == "message/rfc822":
            out.append(part)
        elif part.is_multipart():
            out.extend(_attachment_parts(part))
        elif part.get_content_disposition() == "attachment" or part.get_filename():
            out.append(part)
    return out


def parse_email(stream: IO[bytes]) -> Email:
    """Headers and attachments of an RFC 5322 message (parsed in memory)."""
    message = email.message_from_binary_file(stream, policy=policy.default)
    headers = [[key, _header_text(value)] for key, value in message.items()]
    summary = {name: _header_text(message.get(header, "")) for name, header in _SUMMARY.items()}
    parsed = Email(headers=headers, summary=summary)
    parsed.defects = [type(d).__name__ for d in message.defects]
    for index, part in enumerate(_attachment_parts(message), 1):
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload(0)
            data = inner.as_bytes() if isinstance(inner, Message) else b""
            default = f"attached-message-{index}.eml"
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            default = f"attachment-{index}"
        try:
            name = part.get_filename() or default
        except Exception:  # a malformed RFC 2231 name
            name = default
        parsed.attachments.append(Attachment(index, name, content_type, data))
    return parsed
