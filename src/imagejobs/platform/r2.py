"""`BlobStore` over an R2 binding."""

from typing import Any

from ..jobs.ports import BlobDownload, StoredBlob


class R2BlobStore:
    def __init__(self, binding: Any):  # the SDK's wrapper of an R2Bucket
        self._bucket = binding

    async def put(self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str]) -> str:
        stored = await self._bucket.put(
            key, data, {"httpMetadata": {"contentType": content_type}, "customMetadata": metadata}
        )
        return str(stored.httpEtag)

    async def get(self, key: str) -> StoredBlob | None:
        found = await self._bucket.get(key)
        if found is None:
            return None
        data: memoryview = await found.arrayBuffer()  # the SDK's memoryview: used as is, not copied again
        http_metadata = found.httpMetadata or {}
        content_type = http_metadata.get("contentType")
        return StoredBlob(
            data=data,
            etag=str(found.httpEtag),
            content_type=None if content_type is None else str(content_type),
        )

    async def open(self, key: str) -> BlobDownload | None:
        found = await self._bucket.get(key)
        if found is None:
            return None
        # The JS ReadableStream itself: the Response streams it from R2 to the client.
        return BlobDownload(body=found.body, size=int(found.size), etag=str(found.httpEtag))

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._bucket.delete(list(keys))
