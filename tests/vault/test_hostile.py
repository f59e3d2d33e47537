"""Hostile and awkward input: zip archives that climb out, link, bomb or lie; names in
Windows-1256; empty files; corrupt PDFs. Each gets a clear message and nothing is lost."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from dadkhah.vault import services, unpack
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Item, Receipt

pytestmark = pytest.mark.django_db

# "the prisoner's letter", as Windows-1256 writes Persian: with the Arabic yeh (U+064A),
# since the code page has no Persian yeh (U+06CC)
PERSIAN = "نامه زنداني.txt"


def raw_zip(entries: list[tuple[bytes, bytes, int, bytes, int]]) -> bytes:
    """A stored (uncompressed) zip written byte by byte, so that names, flags, extra fields
    and attributes are exactly what a hostile or old tool would write:
    (raw name, data, general purpose flags, extra field, external attributes)."""
    out, central = bytearray(), bytearray()
    for name, data, flags, extra, attributes in entries:
        crc, offset = zlib.crc32(data), len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0, 0, crc, len(data), len(data),
            len(name), len(extra),
        )  # fmt: skip
        out += name + extra + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, flags, 0, 0, 0, crc, len(data),
            len(data), len(name), len(extra), 0, 0, 0, attributes, offset,
        )  # fmt: skip
        central += name + extra
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0
    )
    return bytes(out + central + end)


def plain(name: bytes, data: bytes = b"content", flags: int = 0, extra: bytes = b"") -> tuple:
    return (name, data, flags, extra, 0o100644 << 16)


def ingest(path: Path, **kwargs) -> Ingest:
    with Ingest("investigator-1", extract=False, **kwargs) as run:
        run.add(str(path))
    return run


def records() -> dict[str, dict]:
    return {r.original_name: json.loads(r.record) for r in Receipt.objects.all()}


def test_members_that_climb_out_are_absolute_or_link_are_refused(vault_home, tmp_path):
    archive = tmp_path / "from-ngo.zip"
    archive.write_bytes(
        raw_zip(
            [
                plain(b"docs/ok.txt", b"a safe member"),
                plain(b"../../etc/cron.d/evil", b"climbs out"),
                plain(b"docs/../../evil2", b"climbs out in the middle"),
                plain(b"/etc/passwd", b"absolute"),
                plain(b"C:\\Windows\\evil.dll", b"drive letter"),
                plain(b"..\\evil3", b"backslashes climb too"),
                (b"docs/link", b"/etc/shadow", 0, b"", 0o120777 << 16),
                plain(b"secret.txt", b"encrypted", flags=0x1),
            ]
        )
    )
    run = ingest(archive)
    names = [name for _item, name in run.items]
    assert names == ["from-ngo.zip", "ok.txt"]
    archive_item, member = (item for item, _name in run.items)
    assert archive_item.sha256 == "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    assert member.parent_id == archive_item.pk and member.derivation == "zip-member"
    reasons = {r["name"]: r["reason"] for r in records()["from-ngo.zip"]["unpacked"]["refused"]}
    assert reasons == {
        "../../etc/cron.d/evil": "the path climbs out of the archive (../)",
        "docs/../../evil2": "the path climbs out of the archive (../)",
        "/etc/passwd": "absolute path",
        "C:\\Windows\\evil.dll": "absolute path",
        "..\\evil3": "the path climbs out of the archive (../)",
        "docs/link": "symbolic link",
        "secret.txt": "encrypted member (no password)",
    }
    assert len(run.problems) == 7
    assert all(p.startswith(f"{archive}: member ") for p in run.problems)
    assert "the archive itself is preserved" in run.problems[0]
    assert records()["ok.txt"]["original_path"] == f"{archive}!/docs/ok.txt"
    assert records()["ok.txt"]["container"] == {
        "kind": "zip",
        "sha256": archive_item.sha256,
        "member": "docs/ok.txt",
    }


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            with zf.open(name, "w", force_zip64=True) as out:
                view = memoryview(data)
                for start in range(0, len(data), 1 << 20):
                    out.write(view[start : start + (1 << 20)])


def test_a_zip_bomb_is_preserved_as_an_archive_and_nothing_else(vault_home, tmp_path):
    bomb = tmp_path / "bomb.zip"
    write_zip(bomb, {"a.txt": b"first, small", "zeros.bin": bytes(100 << 20)})
    assert bomb.stat().st_size < 200_000  # 100 MiB out of a few hundred KiB
    run = ingest(bomb)
    assert [name for _item, name in run.items] == ["bomb.zip"]
    assert len(run.problems) == 1 and "refused as a zip bomb" in run.problems[0]
    unpacked = records()["bomb.zip"]["unpacked"]
    assert unpacked["members"] == 0 and "zip bomb" in unpacked["refused_all"]
    limit = unpack.Limits().budget(bomb.stat().st_size)
    assert limit < unpacked["bytes"] <= limit + (1 << 20)  # it stopped as soon as it knew
    assert Item.objects.count() == 1
    blobs = list((vault_home / "blobs").glob("??/??/*"))
    assert [p.name for p in blobs] == [Item.objects.get().hex]


def test_the_budget_counts_all_members_together(vault_home, tmp_path):
    many = tmp_path / "many.zip"
    write_zip(many, {f"part-{i:02}.bin": os.urandom(1 << 20) for i in range(12)})
    run = ingest(many, limits=unpack.Limits(max_total=10 << 20, ratio_floor=1 << 20))
    assert [name for _item, name in run.items] == ["many.zip"]
    assert "more than 10,485,760 bytes" in run.problems[0]


def test_sizes_claimed_by_the_archive_are_not_trusted(vault_home, tmp_path):
    liar = tmp_path / "liar.zip"
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("claims-tiny.bin", bytes(8 << 20))
        zf.writestr("fine.txt", b"fine")
    data = bytearray(liar.read_bytes())
    # the first member claims 10 bytes, in its local and in its central header
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        assert struct.unpack("<I", data[at : at + 4]) == (8 << 20,)
        data[at : at + 4] = struct.pack("<I", 10)
    liar.write_bytes(bytes(data))
    run = ingest(liar)
    unpacked = records()["liar.zip"]["unpacked"]
    assert unpacked["refused"] == [
        {
            "name": "claims-tiny.bin",
            "reason": "cannot be read: Bad CRC-32 for file 'claims-tiny.bin'",
        }
    ]
    assert unpacked["bytes"] < (1 << 20)  # what was actually decompressed, counted
    assert [name for _item, name in run.items] == ["liar.zip", "fine.txt"]


def test_an_archive_inside_an_archive_is_kept_whole(vault_home, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep.txt", "not unpacked")
    outer = tmp_path / "outer.zip"
    outer.write_bytes(raw_zip([plain(b"inner.zip", inner.getvalue())]))
    run = ingest(outer)
    assert [(name, item.mime) for item, name in run.items] == [
        ("outer.zip", "application/zip"),
        ("inner.zip", "application/zip"),
    ]


def test_a_corrupt_zip_is_preserved_with_a_warning(vault_home, tmp_path):
    broken = tmp_path / "broken.zip"
    whole = raw_zip([plain(b"a.txt", b"a" * 400), plain(b"b.txt", b"b" * 400)])
    broken.write_bytes(whole[:500])  # cut before the central directory
    run = ingest(broken)
    assert run.items[0][0].mime == "application/zip"
    assert [name for _item, name in run.items] == ["broken.zip"] and run.problems == []
    assert any("not a readable zip archive" in w for w in run.warnings)


def test_a_corrupt_pdf_is_preserved(vault_home, tmp_path):
    pdf = tmp_path / "damaged.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n" + os.urandom(500))
    run = ingest(pdf)
    item = run.items[0][0]
    assert run.problems == [] and item.mime == "application/pdf"
    with services.open_item(item) as handle:
        assert handle.read() == pdf.read_bytes()


def test_an_empty_file_is_preserved_with_a_warning(vault_home, tmp_path):
    empty = tmp_path / "empty-envelope.txt"
    empty.write_bytes(b"")
    run = ingest(empty)
    item = run.items[0][0]
    assert (item.size, item.mime) == (0, "application/x-empty")
    assert item.sha256 == "sha256:" + hashlib.sha256(b"").hexdigest()
    assert run.problems == [] and "empty file (0 bytes)" in run.warnings[0]
    assert records()["empty-envelope.txt"]["warnings"] == [services.EMPTY_WARNING]


# ------------------------------------------------------------------ names


def test_zip_member_names_in_windows_1256_cp437_and_utf8(vault_home, tmp_path):
    persian = PERSIAN.encode("cp1256")
    german = "Müller-Brief.txt".encode("cp437")
    unflagged_utf8 = "گزارش.txt".encode()
    archive = tmp_path / "names.zip"
    archive.write_bytes(
        raw_zip(
            [
                plain(persian, b"1"),
                plain(german, b"2"),
                plain(unflagged_utf8, b"3"),
                plain("flagged-اوین.txt".encode(), b"4", flags=0x800),
            ]
        )
    )
    run = ingest(archive)
    assert [name for _item, name in run.items[1:]] == [
        PERSIAN,
        "Müller-Brief.txt",
        "گزارش.txt",
        "flagged-اوین.txt",
    ]
    by_name = records()
    assert by_name[PERSIAN]["name_encoding"] == "cp1256"
    assert bytes.fromhex(by_name[PERSIAN]["name_bytes"]) == persian  # nothing lost
    assert by_name["Müller-Brief.txt"]["name_encoding"] == "cp437"
    assert "name_encoding" not in by_name["flagged-اوین.txt"]


@pytest.mark.parametrize(
    "raw, text, encoding",
    [
        (b"report.pdf", "report.pdf", "ascii"),
        (PERSIAN.encode("cp1256"), PERSIAN, "cp1256"),
        ("گواهي فوت 1367.pdf".encode("cp1256"), "گواهي فوت 1367.pdf", "cp1256"),
        ("Müller.txt".encode("cp437"), "Müller.txt", "cp437"),  # 0x81 would be پ in cp1256
        ("Résumé.doc".encode("cp437"), "Résumé.doc", "cp437"),
        ("ΣΦΩ-box╬.txt".encode("cp437"), "ΣΦΩ-box╬.txt", "cp437"),  # mojibake, not Arabic
        ("اعدام.txt".encode(), "اعدام.txt", "utf-8"),
    ],
)
def test_the_name_decoding_rule(raw, text, encoding):
    decoded = unpack.decode_name(raw)
    assert (decoded.text, decoded.encoding, decoded.raw) == (text, encoding, raw)


def test_the_unicode_path_extra_field_wins_when_its_crc_matches():
    raw = "x.txt".encode("cp437").replace(b"x", b"\x81")  # a legacy name with a non-ASCII byte
    utf8 = "زندان.txt".encode()
    good = struct.pack("<HHBI", 0x7075, 5 + len(utf8), 1, zlib.crc32(raw)) + utf8
    stale = struct.pack("<HHBI", 0x7075, 5 + len(utf8), 1, zlib.crc32(raw) ^ 1) + utf8
    assert unpack.decode_name(raw, extra=good).text == "زندان.txt"
    assert unpack.decode_name(raw, extra=stale).encoding != "utf-8 (unicode path field)"


def test_a_local_file_named_in_windows_1256(vault_home, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    raw = PERSIAN.encode("cp1256")
    (folder / os.fsdecode(raw)).write_bytes(b"letter")
    run = ingest(folder)
    assert [name for _item, name in run.items] == [PERSIAN]
    record = records()[PERSIAN]
    assert record["name_encoding"] == "cp1256" and record["name_bytes"] == raw.hex()
    assert record["original_path"] == f"{folder}/{PERSIAN}"
