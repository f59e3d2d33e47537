"""Receiving evidence: files, folders, zip archives, ``.eml`` messages, uploads and URLs.

``Ingest`` walks what it is given, unpacks archives and messages safely (``vault.unpack``),
captures web pages (``vault.capture``) and hands every item to ``services.Preserver``, which
stores and records it: each item whole or absent, small files committed in batches. See
``docs/vault.md`` for what each kind of input becomes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from dadkhah.vault import capture, ledger, unpack
from dadkhah.vault.models import Item
from dadkhah.vault.services import (
    EMPTY_WARNING,
    IngestError,
    Origin,
    Pending,
    Preserver,
    detect_mime,
    plain_name,
    repair,
    tool_version,
)
from dadkhah.vault.store import Staged

__all__ = ["BATCH_BYTES", "BATCH_ITEMS", "Ingest", "ingest_path", "ingest_upload", "ingest_url"]

BATCH_ITEMS = 128  # small items committed together (each still whole or absent)
BATCH_BYTES = 64 << 20

_mime_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mime")
_MAIL_HEADER = re.compile(
    rb"^(received|from|return-path|delivered-to|message-id|date|subject|mime-version|to"
    rb"|reply-to|x-[a-z0-9-]+):",
    re.IGNORECASE,
)


def _maybe_container(head: bytes, name: str) -> bool:
    """Could this be a zip archive or an e-mail, which are unpacked? Only those need their
    MIME type at once; for the others libmagic runs beside the copying of the next file."""
    return head[:2] == b"PK" or name.lower().endswith(".eml") or bool(_MAIL_HEADER.match(head))


class Ingest(Preserver):
    """One act of receiving: any number of files, folders, archives, messages and URLs.

    Problems with one input (a file that cannot be read, a refused zip member, a URL that
    does not answer) are reported through ``on_problem`` and collected in ``problems``; the
    other inputs go on. Every item is reported through ``on_item`` as soon as it is
    committed, and collected in ``items`` as (item, name received under).
    """

    def __init__(
        self,
        collector: str,
        *,
        on_item: Callable[[Item, str], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        limits: unpack.Limits | None = None,
        capture_timeout: float = 30.0,
        chromium: str | None = capture.CHROMIUM,
        **kwargs: Any,
    ) -> None:
        super().__init__(collector, **kwargs)
        self.on_item = on_item
        self.on_problem = on_problem
        self.on_warning = on_warning
        self.limits = limits or unpack.Limits()
        self.capture_timeout = capture_timeout
        self.chromium = chromium
        self.items: list[tuple[Item, str]] = []
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self._batch: list[Pending] = []
        self._batch_bytes = 0
        self.repaired = repair()
        for line in self.repaired.lines():
            self._warn(f"repair: {line}")

    def __enter__(self) -> Ingest:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.flush()
            else:
                self._drop_batch()
        finally:
            if self.items:
                self._sign()

    def _sign(self) -> None:
        """Sign a checkpoint over what was received, so that tampering is caught from now on."""
        from dadkhah.vault import ledger

        try:
            ledger.checkpoint()
        except ledger.LedgerError as exc:
            self._problem(f"the new ledger entries were not signed: {exc}")

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        if self.on_problem is not None:
            self.on_problem(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)

    def _report(self, item: Item, origin: Origin) -> None:
        self.items.append((item, origin.name.text))
        if self.on_item is not None:
            self.on_item(item, origin.name.text)
        for warning in origin.warnings:
            self._warn(f"{origin.path}: {warning}")

    def _queue(self, staged: Staged, origin: Origin, mime: str | Future[str]) -> None:
        """Commit later, with other small items: one transaction and shared fsyncs."""
        self._batch.append(Pending(staged, origin, mime))
        self._batch_bytes += staged.size
        if len(self._batch) >= BATCH_ITEMS or self._batch_bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Commit what is queued (each item whole, all of them in one transaction)."""
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        try:
            items = self.commit_many(batch)
        except BaseException:
            for pending in batch:
                pending.staged.temp.unlink(missing_ok=True)
            raise
        for item, pending in zip(items, batch, strict=True):
            self._report(item, pending.origin)

    def _drop_batch(self) -> None:
        for pending in self._batch:
            pending.staged.temp.unlink(missing_ok=True)
        self._batch, self._batch_bytes = [], 0

    def _done(self, staged: Staged, origin: Origin, mime: str) -> Item:
        """Commit now (the item is a parent that others will point to)."""
        self.flush()
        item = self.commit(staged, origin, mime)
        self._report(item, origin)
        return item

    # -- inputs

    def add(self, target: str) -> None:
        """A path or an http(s) URL, as given on the command line."""
        if re.match(r"^https?://", target, re.IGNORECASE):
            self.url(target)
        else:
            self.path(Path(target), shown=target)
        self.flush()

    def path(self, path: Path, shown: str | None = None) -> None:
        shown = shown if shown is not None else str(path)
        try:
            info = path.stat()  # a symbolic link named on the command line is followed
        except FileNotFoundError:
            self._problem(f"{shown}: no such file or directory")
            return
        except OSError as exc:
            self._problem(f"{shown}: cannot be read ({exc.strerror})")
            return
        if stat.S_ISDIR(info.st_mode):
            self._folder(path, shown)
        elif stat.S_ISREG(info.st_mode):
            self._file(path, shown, unpack.decode_fs_name(path.name))
        else:
            self._problem(f"{shown}: not a regular file or a folder; nothing preserved")

    def _folder(self, root: Path, shown: str) -> None:
        def unreadable(exc: OSError) -> None:
            self._problem(f"{exc.filename}: cannot be read ({exc.strerror})")

        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
            dirnames.sort()
            here = Path(dirpath)
            for name in [d for d in dirnames if (here / d).is_symlink()]:
                self._warn(f"{self._shown(root, shown, here / name)}: symbolic link, not followed")
            for name in sorted(filenames):
                path = here / name
                label = self._shown(root, shown, path)
                try:
                    info = path.lstat()
                except OSError as exc:
                    self._problem(f"{label}: cannot be read ({exc.strerror})")
                    continue
                if stat.S_ISLNK(info.st_mode):
                    self._warn(f"{label}: symbolic link, not followed")
                elif not stat.S_ISREG(info.st_mode):
                    self._warn(f"{label}: not a regular file, skipped")
                else:
                    self._file(path, label, unpack.decode_fs_name(name))

    @staticmethod
    def _shown(root: Path, shown: str, path: Path) -> str:
        rel = path.relative_to(root)
        parts = [unpack.decode_fs_name(p).text for p in rel.parts]
        return "/".join([shown.rstrip("/"), *parts])

    def _file(self, path: Path, shown: str, name: unpack.DecodedName) -> None:
        try:
            staged = self.stage(path)
        except OSError as exc:
            self._problem(f"{shown}: cannot be read ({exc.strerror or exc})")
            return
        origin = Origin(name=name, path=shown)
        self._dispatch(staged, origin, lambda: path.open("rb"))

    def upload(self, upload: Any, name: str) -> None:
        """A file received through the web (a Django UploadedFile, or any binary file)."""
        shown = name or "unnamed upload"
        temp_path = getattr(upload, "temporary_file_path", None)
        source: Path | IO[bytes]
        if temp_path is not None:
            source = Path(temp_path())
        else:
            upload.seek(0)
            source = upload

        def reopen() -> Any:
            if isinstance(source, Path):
                return source.open("rb")
            upload.seek(0)
            return contextlib.nullcontext(upload)

        try:
            staged = self.stage(source)
        except OSError as exc:
            self._problem(f"{shown}: cannot be read ({exc})")
            return
        self._dispatch(staged, Origin(name=plain_name(shown), path=shown), reopen)

    def _dispatch(self, staged: Staged, origin: Origin, reopen: Callable[[], Any]) -> None:
        head, staged.head = staged.head, b""
        if staged.size == 0:
            origin.warnings.append(EMPTY_WARNING)
        if not _maybe_container(head, origin.name.text):
            self._queue(staged, origin, _mime_pool.submit(detect_mime, head))
            return
        mime = detect_mime(head)
        try:
            if mime == "application/zip":
                self._zip(staged, origin, mime, reopen)
            elif mime == "message/rfc822" or (
                origin.name.text.lower().endswith(".eml") and mime.startswith("text/")
            ):
                self._email(staged, origin, mime, reopen)
            else:
                self._queue(staged, origin, mime)
        except BaseException:
            staged.temp.unlink(missing_ok=True)
            raise

    # -- archives and messages

    def _zip(self, staged: Staged, origin: Origin, mime: str, reopen: Callable[[], Any]) -> None:
        members: list[tuple[unpack.Member, Staged, str]] = []
        refused: list[unpack.Refusal] = []
        meter = unpack.Meter(self.limits.budget(staged.size))
        bomb = ""
        try:
            with reopen() as handle, zipfile.ZipFile(handle) as archive:
                planned, refused = unpack.plan_zip(archive, self.limits)
                for member in planned:
                    reader = unpack.member_reader(archive, member, meter)
                    try:
                        member_staged = self.stage(reader)  # type: ignore[arg-type]
                    except unpack.BombError:
                        raise
                    except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError) as exc:
                        refused.append(unpack.Refusal(member.name.text, f"cannot be read: {exc}"))
                        continue
                    finally:
                        reader.close()
                    member_mime = detect_mime(member_staged.head)
                    member_staged.head = b""
                    members.append((member, member_staged, member_mime))
        except unpack.BombError as exc:
            bomb = str(exc)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            origin.warnings.append(f"not a readable zip archive ({exc}): preserved, not unpacked")
        except BaseException:
            for _member, member_staged, _mime in members:
                member_staged.temp.unlink(missing_ok=True)
            raise
        if bomb:
            for _member, member_staged, _mime in members:
                member_staged.temp.unlink(missing_ok=True)
            members = []
        origin.details["unpacked"] = {
            "members": len(members),
            "bytes": meter.total,
            "refused": [r.as_dict() for r in refused],
            "refused_all": bomb or None,
        }
        try:
            archive_item = self._done(staged, origin, mime)
        except BaseException:
            for _member, member_staged, _mime in members:
                member_staged.temp.unlink(missing_ok=True)
            raise
        if bomb:
            self._problem(f"{origin.path}: {bomb}; the archive itself is preserved")
        for refusal in refused:
            self._problem(
                f"{origin.path}: member {refusal.name!r} refused ({refusal.reason}); "
                "the archive itself is preserved"
            )
        for index, (member, member_staged, member_mime) in enumerate(members):
            inner = Origin(
                name=unpack.DecodedName(
                    member.path.rsplit("/", 1)[-1], member.name.encoding, member.name.raw
                ),
                path=f"{origin.path}!/{member.path}",
                source=origin.source,
                parent=archive_item,
                derivation="zip-member",
                container={"kind": "zip", "sha256": archive_item.sha256, "member": member.path},
            )
            if member_staged.size == 0:
                inner.warnings.append(EMPTY_WARNING)
            try:
                self._queue(member_staged, inner, member_mime)
            except BaseException:
                for _m, rest, _mm in members[index:]:
                    rest.temp.unlink(missing_ok=True)
                raise

    def _email(self, staged: Staged, origin: Origin, mime: str, reopen: Callable[[], Any]) -> None:
        parsed: unpack.Email | None = None
        if staged.size > self.limits.max_email:
            origin.warnings.append(
                f"message larger than {self.limits.max_email:,} bytes: preserved, not taken apart"
            )
        else:
            try:
                with reopen() as handle:
                    parsed = unpack.parse_email(handle)
            except Exception as exc:  # any parser failure still preserves the message
                origin.warnings.append(f"cannot be read as an e-mail ({exc}): preserved as is")
        if parsed is not None:
            origin.details["email"] = {
                **parsed.summary,
                "headers": parsed.headers,
                "attachments": len(parsed.attachments),
                "defects": parsed.defects,
            }
        message = self._done(staged, origin, mime)
        for attachment in parsed.attachments if parsed is not None else []:
            part = self.stage(io.BytesIO(attachment.data))
            inner = Origin(
                name=plain_name(attachment.name),
                path=f"{origin.path}#attachment-{attachment.index}",
                source=origin.source,
                parent=message,
                derivation="attachment",
                container={
                    "kind": "email",
                    "sha256": message.sha256,
                    "part": attachment.index,
                    "content_type": attachment.content_type,
                },
            )
            if part.size == 0:
                inner.warnings.append(EMPTY_WARNING)
            part_mime = detect_mime(part.head)
            part.head = b""
            self._queue(part, inner, part_mime)

    # -- URLs

    def url(self, url: str) -> None:
        work = Path(tempfile.mkdtemp(prefix="capture-", suffix=".tmp", dir=self.session.dir))
        try:
            try:
                got = capture.capture(
                    url,
                    work,
                    version=tool_version(),
                    timeout=self.capture_timeout,
                    chromium=self.chromium,
                )
            except capture.CaptureError as exc:
                self._problem(str(exc))
                return
            self._captured(url, got)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _captured(self, url: str, got: capture.Capture) -> None:
        stem = _capture_stem(url, got.started_at)
        details = {"capture": got.details()}
        source = self.source or url
        warc = self.stage(got.warc)
        warc_origin = Origin(
            name=plain_name(f"{stem}.warc"), path=url, url=url, source=source, details=details
        )
        warc_origin.warnings += got.warnings
        parent = self._done(warc, warc_origin, detect_mime(warc.head))
        body = self.stage(got.body)
        kind = "html" if got.is_html else "payload"
        self._done(
            body,
            Origin(
                name=plain_name(f"{stem}.html" if got.is_html else _url_file_name(got.final_url)),
                path=got.final_url,
                url=url,
                source=source,
                parent=parent,
                derivation=kind,
                is_derivative=True,
                details=details,
            ),
            detect_mime(body.head),
        )
        if got.screenshot is not None and got.screenshot_at is not None:
            shot = self.stage(got.screenshot)
            self._done(
                shot,
                Origin(
                    name=plain_name(f"{stem}.png"),
                    path=got.final_url,
                    url=url,
                    source=source,
                    parent=parent,
                    derivation="screenshot",
                    is_derivative=True,
                    details={
                        **details,
                        "screenshot": {
                            "taken_at": ledger.rfc3339(got.screenshot_at),
                            "tool": capture.chromium_version(self.chromium or capture.CHROMIUM),
                            "window": "1280x2000",
                        },
                    },
                ),
                detect_mime(shot.head),
            )


def _capture_stem(url: str, when: datetime) -> str:
    parts = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{parts.netloc}{parts.path}").strip("-")[:80]
    return f"{slug or 'capture'}-{when.strftime('%Y%m%dT%H%M%SZ')}"


def _url_file_name(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last or "payload"


# ------------------------------------------------------------------ functional API


def _run(collector: str, fill: Callable[[Ingest], None], **kwargs: Any) -> list[Item]:
    ingest = Ingest(collector, **kwargs)
    with ingest:
        fill(ingest)
    if ingest.problems:
        raise IngestError("; ".join(ingest.problems))
    return [item for item, _name in ingest.items]


def ingest_path(
    paths: Iterable[Path | str] | Path | str,
    collector: str,
    note: str = "",
    restricted: bool = False,
    source: str = "",
    **kwargs: Any,
) -> list[Item]:
    """Preserve files and folders (zips and .eml messages unpacked). Raises IngestError
    naming every problem, after preserving everything else."""
    targets = [paths] if isinstance(paths, str | Path) else list(paths)

    def fill(ingest: Ingest) -> None:
        for target in targets:
            ingest.path(Path(target), shown=str(target))

    return _run(collector, fill, note=note, restricted=restricted, source=source, **kwargs)


def ingest_url(url: str, collector: str, **kwargs: Any) -> list[Item]:
    """Capture a URL: the WARC (original), the page and the screenshot (derivatives)."""
    return _run(collector, lambda ingest: ingest.url(url), **kwargs)


def ingest_upload(upload: Any, name: str, *, collector: str, **kwargs: Any) -> list[Item]:
    """Preserve one uploaded file (a zip or .eml is unpacked as on the command line)."""
    return _run(collector, lambda ingest: ingest.upload(upload, name), **kwargs)
