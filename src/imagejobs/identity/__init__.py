"""Who is asking: Cloudflare Access tokens verified against the team's signing keys, or
X-Dev-User in local dev mode. Every untrusted byte is bounded before it is parsed.

Imports nothing platform: its one platform need, fetching the team's keys, is the `fetch`
given to the `AccessKeyCache` that the platform layer creates once per isolate.
"""

from .authentication import Authenticator, HeaderLookup
from .jwks import AccessKeyCache, Fetch

__all__ = ["AccessKeyCache", "Authenticator", "Fetch", "HeaderLookup"]
