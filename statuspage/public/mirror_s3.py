"""Publish the static mirror to S3-compatible object storage (AWS S3, MinIO, Ceph, R2, ...).

Configured by `MIRROR_S3_BUCKET`, `MIRROR_S3_PREFIX` (e.g. `status/`),
`MIRROR_S3_ENDPOINT_URL` (unset: AWS) and `MIRROR_S3_REGION`; credentials
come from boto3's usual chain (`AWS_ACCESS_KEY_ID`, an instance role, ...).

Each object is one PUT, which S3 makes visible whole or not at all, with the
app's own `Content-Type` and `Cache-Control`. Its ETag is the MD5 of the
bytes (a single-part upload), so an object whose ETag already matches is not
sent again: a republish uploads only what changed. Pages that link to others
go last (incident pages before the index that links to them), and objects
no longer in the site are deleted after everything new is up.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import boto3
from botocore.config import Config

from .mirror import MirrorFile

DELETE_BATCH = 1000


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None


def settings_from(config) -> S3Settings:
    prefix = (config.get("MIRROR_S3_PREFIX") or "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return S3Settings(config["MIRROR_S3_BUCKET"], prefix, config.get("MIRROR_S3_ENDPOINT_URL") or None,
                      config.get("MIRROR_S3_REGION") or None)


def client_for(settings: S3Settings):
    return boto3.client("s3", endpoint_url=settings.endpoint_url, region_name=settings.region or "us-east-1",
                        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                                      read_timeout=20))


def etag_of(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'


def existing_etags(client, settings: S3Settings) -> dict[str, str]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket, Prefix=settings.prefix):
        for obj in page.get("Contents", ()):
            found[obj["Key"]] = obj["ETag"]
    return found


def upload_order(item: MirrorFile) -> tuple:
    """Assets first, then incident pages and feeds, index pages last, the main index very last."""
    name = item.path.rsplit("/", 1)[-1]
    return (not item.path.startswith("static/"), name == "index.html", item.path.count("/") == 0 and name == "index.html",
            item.path.startswith("t/"), item.path)


def sync(files: list[MirrorFile], settings: S3Settings, client=None) -> dict[str, int]:
    """Make the bucket's prefix hold exactly `files`; counts of objects uploaded, unchanged and deleted."""
    client = client or client_for(settings)
    before = existing_etags(client, settings)
    uploaded = unchanged = 0
    wanted = set()
    for item in sorted(files, key=upload_order):
        key = settings.prefix + item.path
        wanted.add(key)
        if before.get(key) == etag_of(item.body):
            unchanged += 1
            continue
        client.put_object(Bucket=settings.bucket, Key=key, Body=item.body, ContentType=item.content_type,
                          CacheControl=item.cache_control)
        uploaded += 1
    stale = sorted(k for k in before if k not in wanted)
    for start in range(0, len(stale), DELETE_BATCH):
        batch = stale[start:start + DELETE_BATCH]
        client.delete_objects(Bucket=settings.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
    return {"uploaded": uploaded, "unchanged": unchanged, "deleted": len(stale)}
