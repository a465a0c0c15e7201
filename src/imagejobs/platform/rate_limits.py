"""Rate Limiting binding adapter (`RateLimiter`): `limit({"key": …})` answers `{"success": bool}`.

The binding counts per Cloudflare location and approximately; its limit and period are its own
configuration (wrangler.jsonc `ratelimits`), which the Worker cannot read."""

from typing import Any


class RateLimitBinding:
    def __init__(self, binding: Any):  # the SDK's wrapper of a Ratelimit binding
        self._binding = binding

    async def allow(self, key: str) -> bool:
        outcome = await self._binding.limit({"key": key})
        return outcome["success"] is True
