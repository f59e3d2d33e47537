"""The S3 backend against a real S3 protocol server (moto's) on 127.0.0.1: no patching."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dadkhah.vault import crypto, services
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Receipt
from dadkhah.vault.store import S3Store, WorkArea
from tests.ports import free_port

BUCKET = "evidence"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "synthetic-test-key",
    "AWS_SECRET_ACCESS_KEY": "synthetic-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def client(endpoint: str, monkeypatch: pytest.MonkeyPatch):
    import boto3

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"test/{request.node.name}"


@pytest.fixture
def s3_store(client, prefix: str, tmp_path: Path) -> S3Store:
    return S3Store(BUCKET, prefix, tmp_path / "spool", client)


def keys_under(client, prefix: str) -> list[str]:
    found = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("Contents", [])
    return sorted(obj["Key"] for obj in found)


def test_put_open_exists_list_and_store_once(s3_store, client, prefix):
    data = os.urandom(300_000)
    area = WorkArea(s3_store.work_root)
    with area.session() as session:
        staged = s3_store.stage(io.BytesIO(data), session.dir)
        assert s3_store.publish(staged) is True
        again = s3_store.stage(io.BytesIO(data), session.dir)
        assert s3_store.publish(again) is False
        assert not staged.temp.exists() and not again.temp.exists()
    hex_ = hashlib.sha256(data).hexdigest()
    assert keys_under(client, prefix) == [f"{prefix}/{hex_[:2]}/{hex_[2:4]}/{hex_}"]
    assert list(s3_store.iter_hexes()) == [hex_]
    assert s3_store.exists(hex_) and not s3_store.exists("0" * 64)
    assert s3_store.size(hex_) == len(data)
    with s3_store.open(hex_) as handle:
        assert handle.read() == data
    with pytest.raises(FileNotFoundError):
        s3_store.open("0" * 64)


def test_a_large_blob_goes_up_in_parts_and_comes_back_whole(s3_store):
    data = os.urandom((64 << 20) + 12345)  # above the multipart threshold
    area = WorkArea(s3_store.work_root)
    with area.session() as session:
        hex_, size = s3_store.put(io.BytesIO(data), session.dir)
    digest = hashlib.sha256()
    with s3_store.open(hex_) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    assert (digest.hexdigest(), size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_encrypted_blobs_in_the_bucket(s3_store):
    key = bytes(range(32))
    data = b"restricted testimony " * 1000
    with WorkArea(s3_store.work_root).session() as session:
        staged = s3_store.stage(io.BytesIO(data), session.dir, crypto.Encryptor(key))
        s3_store.publish(staged)
    with s3_store.open(staged.hex) as handle:
        stored = handle.read()
    assert b"restricted testimony" not in stored
    assert crypto.decrypt_bytes(stored, key) == data


@pytest.mark.django_db
def test_ingest_and_repair_through_the_setting(settings, tmp_path, endpoint, client, prefix):
    home = tmp_path / "home"
    home.mkdir()
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG, home=home, blobs=f"s3://{BUCKET}/{prefix}", s3_endpoint=endpoint
    )
    store = services.get_store()
    assert isinstance(store, S3Store) and store.describe() == f"s3://{BUCKET}/{prefix}"
    letter = tmp_path / "letter.txt"
    letter.write_text("preserved in object storage")
    with Ingest("investigator-1", extract=False, restricted=True) as run:
        run.add(str(letter))
    item = run.items[0][0]
    assert keys_under(client, prefix) == [f"{prefix}/{item.hex[:2]}/{item.hex[2:4]}/{item.hex}"]
    with services.open_item(item) as handle:
        assert handle.read() == b"preserved in object storage"
    assert json.loads(Receipt.objects.get(item=item).record)["encrypted"] is True
    assert not (home / "blobs").exists()  # nothing went to the local filesystem store

    # a blob that no item owns (as a crash between upload and commit leaves) is removed
    orphan = b"uploaded, never committed"
    with WorkArea(store.work_root).session() as session:
        hex_, _size = store.put(io.BytesIO(orphan), session.dir)
    report = services.repair(full_scan=True)
    assert report.orphan_blobs == [hex_]
    assert keys_under(client, prefix) == [f"{prefix}/{item.hex[:2]}/{item.hex[2:4]}/{item.hex}"]
