#!/usr/bin/env python3
"""verify_bundle.py: check a Dadkhah evidence bundle with nothing but Python 3.

    python3 verify_bundle.py BUNDLE.zip [--key VERIFIER_KEY]

This program uses the standard library only: it needs neither Dadkhah nor any package, and
it does not touch the network. It checks, and prints as it goes:

1. the checkpoint (checkpoint.txt), a C2SP signed note, carries a valid Ed25519 signature
   (RFC 8032, implemented below) by the key in public-key.txt, or by the key given with
   --key, which should be compared with the one the vault published elsewhere;
2. every custody ledger entry in the bundle (ledger/<seq>.json) is in the ledger the
   checkpoint commits to: its RFC 6962 leaf hash, SHA-256(0x00 || entry), with the inclusion
   proof in proofs/<seq>.json, leads to the signed root;
3. every original (items/<id>/original/...) has the SHA-256 and size that the ledger's
   ingest entry and the manifest give, so it is exactly the file that was received;
4. every preservation record (items/<id>/receipt-<n>.json) is, byte for byte, the record
   that was hashed into its ledger entry;
5. the export of this bundle is itself a ledger entry under the checkpoint.

Exit status: 0 when every check passes, 1 when any fails (each failure is named), 2 when
the file is not a bundle at all.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import zipfile

FORMAT = "dadkhah-bundle/1"

# -- Ed25519 verification, from RFC 8032 section 5.1 ---------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the base point


def _inv(x: int) -> int:
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y: int, sign: int) -> int | None:
    """RFC 8032 5.1.3: the x coordinate for y and the sign bit, or None if there is none."""
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


# Points are kept in extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
Point = tuple  # (X, Y, Z, T)

_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
assert _GX is not None
G: Point = (_GX, _GY, 1, _GX * _GY % P)
IDENTITY: Point = (0, 1, 1, 0)


def _add(p: Point, q: Point) -> Point:
    """RFC 8032 5.1.4, addition in extended coordinates."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s: int, p: Point) -> Point:
    q = IDENTITY
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _equal(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decode_point(s: bytes) -> Point | None:
    """RFC 8032 5.1.3, decoding."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 5.1.7: is ``signature`` by ``public_key`` over ``message``?"""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    # [8][S]B = [8]R + [8][k]A
    left = _mul(8 * s, G)
    right = _mul(8, _add(r, _mul(k % L, a)))
    return _equal(left, right)


# -- RFC 6962 Merkle tree (RFC 9162 section 2.1.3.2) ---------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list, root: bytes) -> bool:
    if not 0 <= index < size or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# -- signed notes (C2SP signed-note) and checkpoints (C2SP tlog-checkpoint) ---------------


class BundleError(Exception):
    pass


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BundleError(f"bad base64 {text[:40]!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise BundleError(f"non-canonical base64 {text[:40]!r}")
    return raw


def parse_verifier_key(text: str) -> tuple[str, bytes, bytes]:
    """``<name>+<hex key id>+<base64(0x01 || public key)>`` -> (name, key id, public key)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0] or re.search(r"\s", parts[0]):
        raise BundleError("a verifier key is <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    raw = _b64(encoded)
    if len(raw) != 33 or raw[0] != 0x01:
        raise BundleError("not an Ed25519 verifier key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if hex_id != key_id.hex():
        raise BundleError("the verifier key's id does not match its key")
    return name, key_id, raw[1:]


def open_note(note: str, key: str) -> str:
    """Return the text of the signed note if ``key`` signed it; raise BundleError otherwise."""
    name, key_id, public_key = parse_verifier_key(key)
    if not note.endswith("\n") or "\n\n" not in note:
        raise BundleError("not a signed note")
    split = note.rindex("\n\n")
    text, block = note[: split + 1], note[split + 2 :]
    found = False
    for line in block[:-1].split("\n"):
        match = re.fullmatch("\u2014 (\\S+) (\\S+)", line)
        if match is None:
            raise BundleError(f"malformed signature line {line[:60]!r}")
        raw = _b64(match.group(2))
        if match.group(1) != name or raw[:4] != key_id:
            continue
        if not ed25519_verify(public_key, text.encode("utf-8"), raw[4:]):
            raise BundleError(f"the signature by {name} does not verify")
        found = True
    if not found:
        raise BundleError(f"no signature by {name} (key id {key_id.hex()})")
    return text


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0] or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise BundleError("not a checkpoint (origin, size, root)")
    root = _b64(lines[2])
    if len(root) != 32:
        raise BundleError("the checkpoint root is not 32 bytes")
    return lines[0], int(lines[1]), root


# -- canonical JSON ------------------------------------------------------------------------


def _plain(value: object) -> bool:
    """Values whose RFC 8785 form Python's json module writes exactly: no floats, and no
    characters outside the Basic Multilingual Plane in keys (RFC 8785 sorts by UTF-16)."""
    if isinstance(value, float):
        return False
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(max(map(ord, k), default=0) < 0xD800 and _plain(v) for k, v in value.items())
    return True


def canonical(value: object) -> bytes:
    """RFC 8785 bytes for plain values (see ``_plain``)."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


# -- the bundle ----------------------------------------------------------------------------


class Checker:
    def __init__(self, out) -> None:  # type: ignore[no-untyped-def]
        self.out = out
        self.passed = 0
        self.failed: list[str] = []

    def ok(self, message: str) -> None:
        self.passed += 1
        self.out("ok    " + message)

    def fail(self, message: str) -> None:
        self.failed.append(message)
        self.out("FAIL  " + message)

    def check(self, condition: bool, message: str, failure: str) -> bool:
        if condition:
            self.ok(message)
        else:
            self.fail(failure)
        return condition


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise BundleError(f"{name} is missing from the bundle") from None
    except (zipfile.BadZipFile, OSError) as exc:  # a damaged member fails its CRC-32
        raise BundleError(f"{name} is damaged ({exc})") from None


def _hash_member(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with zf.open(name) as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


def verify_bundle(path: str, key: str | None = None, out=print) -> bool:  # type: ignore[no-untyped-def]
    """Run every check on the bundle at ``path``; print each; True when all pass."""
    c = Checker(out)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"{path}: not a zip file ({exc})") from exc
    with zf:
        try:
            manifest = json.loads(_read(zf, "manifest.json"))
        except ValueError as exc:
            raise BundleError("manifest.json is not JSON") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BundleError(f"manifest.json is not a {FORMAT} manifest")

        # 1. the checkpoint
        try:
            bundled_key = _read(zf, "public-key.txt").decode("utf-8").strip()
            if key is not None and key.strip() != bundled_key:
                c.fail("the bundle's public key is not the key given with --key")
            key = key.strip() if key is not None else bundled_key
            note = _read(zf, "checkpoint.txt").decode("utf-8")
            name, key_id, _ = parse_verifier_key(key)
            origin, size, root = parse_checkpoint(open_note(note, key))
        except (BundleError, UnicodeDecodeError) as exc:
            c.fail(f"checkpoint.txt: {exc}")
            origin, size, root = "", 0, b""
        else:
            c.ok(
                f"checkpoint signed by {name} (key id {key_id.hex()}): {size} ledger entries, "
                f"root {root.hex()}"
            )
            c.check(
                origin == name,
                f"checkpoint origin is the signing vault, {origin}",
                f"checkpoint origin {origin!r} is not the key's name {name!r}",
            )
        out(f"      key: {key}")

        # 2. ledger entries and their inclusion proofs
        bodies: dict[int, dict] = {}
        for listed in manifest.get("entries", []):
            seq = listed.get("seq")
            where = f"ledger entry {seq}"
            try:
                raw = _read(zf, listed["file"])
                proof = json.loads(_read(zf, listed["proof"]))
                hashes = [bytes.fromhex(h) for h in proof["hashes"]]
                body = json.loads(raw)
            except (BundleError, KeyError, ValueError, TypeError) as exc:
                c.fail(f"{where}: {exc}")
                continue
            if not isinstance(body, dict) or body.get("seq") != seq or proof.get("seq") != seq:
                c.fail(f"{where}: the entry or its proof is for another position")
                continue
            included = verify_inclusion(leaf_hash(raw), seq, size, hashes, root)
            if proof.get("size") != size:
                included = False
            if c.check(
                included,
                f"{where} ({body.get('event')} by {body.get('actor')}, {body.get('time')}) "
                "is in the signed ledger",
                f"{where}: its inclusion proof does not lead to the signed root",
            ):
                bodies[seq] = body

        # 3 and 4. originals and preservation records
        for item in manifest.get("items", []):
            uid, sha = item.get("uid"), item.get("sha256")
            where = f"item {uid}"
            ingests = [
                b
                for b in bodies.values()
                if b.get("item") == sha and b.get("event") in ("ingest", "derive")
            ]
            c.check(
                bool(ingests),
                f"{where}: received in signed ledger entry "
                + ", ".join(str(b["seq"]) for b in ingests),
                f"{where}: no verified ingest entry for {sha}",
            )
            try:
                got, got_size = _hash_member(zf, item["original"])
            except (KeyError, zipfile.BadZipFile, OSError) as exc:
                c.fail(f"{where}: the original cannot be read ({exc})")
            else:
                recorded = {
                    r.get("sha256")
                    for b in ingests
                    for r in [b.get("details", {}).get("record", {})]
                    if isinstance(r, dict)
                }
                c.check(
                    got == sha
                    and got_size == item.get("size")
                    and (not ingests or sha in recorded),
                    f"{where}: original {item['original']} is intact, {got}, {got_size} bytes",
                    f"{where}: the original {item.get('original')} hashes to {got} "
                    f"({got_size} bytes), not {sha}",
                )
            for receipt in item.get("receipts", []):
                _check_receipt(zf, c, where, sha, receipt, bodies)

        # 5. the export of this bundle
        export = bodies.get(manifest.get("export_seq", -1))
        listed_items = {i.get("sha256") for i in manifest.get("items", [])}
        exported = set(export.get("details", {}).get("items", [])) if export else set()
        c.check(
            export is not None and export.get("event") == "export" and listed_items <= exported,
            f"the export of this bundle is ledger entry {manifest.get('export_seq')}, by "
            f"{export and export.get('actor')}, purpose {export and export.get('purpose')!r}",
            "the export of this bundle is not a verified ledger entry naming its items",
        )
    out("")
    if c.failed:
        out(f"{c.passed} checks passed, {len(c.failed)} FAILED")
    else:
        out(f"{c.passed} checks passed, 0 failed: the bundle is intact")
    return not c.failed


def _check_receipt(zf, c, where, sha, receipt, bodies) -> None:  # type: ignore[no-untyped-def]
    name, seq = receipt.get("file"), receipt.get("seq")
    body = bodies.get(seq)
    if body is None:
        c.fail(f"{where}: the ledger entry {seq} of {name} is not verified")
        return
    try:
        raw = _read(zf, name)
        record = json.loads(raw)
    except (BundleError, ValueError) as exc:
        c.fail(f"{where}: {name}: {exc}")
        return
    logged = body.get("details", {}).get("record")
    if not isinstance(record, dict) or not isinstance(logged, dict):
        c.fail(f"{where}: {name} or ledger entry {seq} holds no preservation record")
        return
    # byte for byte; by value only where Python's json cannot write RFC 8785 exactly
    same = raw == canonical(logged) if _plain(logged) else record == logged
    c.check(
        same and record.get("sha256") == sha,
        f"{where}: preservation record {name} is the one in ledger entry {seq} "
        f"(received {record.get('received_at')} by {record.get('collector')})",
        f"{where}: preservation record {name} differs from the one in ledger entry {seq}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Dadkhah evidence bundle.")
    parser.add_argument("bundle", help="the bundle's .zip file")
    parser.add_argument(
        "--key", help="the vault's verifier key, as published elsewhere (default: the bundle's)"
    )
    args = parser.parse_args(argv)
    try:
        return 0 if verify_bundle(args.bundle, args.key) else 1
    except BundleError as exc:
        sys.stderr.write(f"verify_bundle: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
