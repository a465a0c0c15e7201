"""The outbound POST of webhook deliveries (webhooks/delivery.py's `Poster`) over the runtime's
fetch: redirects are not followed (a redirect could lead anywhere the callback check refused),
every attempt is bounded by an AbortSignal timeout, and at most `max_response_bytes` of the
response are read before the rest is cancelled."""

from js import AbortSignal
from workers import fetch

from ..webhooks.delivery import DeliveryError


class FetchPoster:
    async def post(
        self, url: str, body: str, headers: dict[str, str], *, timeout_seconds: float, max_response_bytes: int
    ) -> int:
        try:
            response = await fetch(
                url,
                method="POST",
                body=body,
                headers=headers,
                redirect="manual",
                signal=AbortSignal.timeout(int(timeout_seconds * 1000)),
            )
            await _discard_body(response.js_object, max_response_bytes)
        except Exception as error:  # noqa: BLE001 — a timeout (AbortError), DNS or connection failure
            raise DeliveryError(f"{type(error).__name__}: {str(error)[:200]}") from None
        return int(response.status)


async def _discard_body(js_response: object, max_bytes: int) -> None:
    """Read at most `max_bytes` of the body (so the connection can be reused), cancel the rest."""
    get_reader = getattr(getattr(js_response, "body", None), "getReader", None)
    if get_reader is None:  # no body (a 204): JavaScript's null, a JsNull here
        return
    reader = get_reader()
    read = 0
    try:
        while read < max_bytes:
            chunk = await reader.read()
            if chunk.done:
                return
            read += int(chunk.value.length)
    finally:
        await reader.cancel()
