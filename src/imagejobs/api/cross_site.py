"""Cross-site request refusal (OWASP's CSRF prevention guidance: Fetch Metadata, then Origin).

With Cloudflare Access the identity rides on a cookie, which a browser also attaches when a
page of another site submits a form here. So a state-changing request is refused when the
browser says it comes from elsewhere: `Sec-Fetch-Site` other than `same-origin` or `none`
(a user typing the address), or, from browsers that do not send it, an `Origin` that is not
this Worker's own. Requests with neither header (curl, server-to-server clients) are not
browser-driven and pass. Nothing is parsed: both headers are compared as whole values.
Imports nothing platform.
"""

from ..errors import CrossSiteRequest
from .http import HttpRequest

# RFC 9110 §9.2.1: these methods change nothing, so a cross-site one can do no harm.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
_REFUSAL = CrossSiteRequest().message


def refuse_cross_site(request: HttpRequest) -> None:
    """Raise CrossSiteRequest if `request` changes state and a browser says another site sent it."""
    if request.method in SAFE_METHODS:
        return
    fetch_site = request.header("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site.strip().lower() not in _TRUSTED_FETCH_SITES:
            raise CrossSiteRequest(f"{_REFUSAL} (Sec-Fetch-Site: {fetch_site[:20]!r})")
        return
    origin = request.header("origin")
    if origin is not None and origin.strip().lower() != request.origin.lower():
        raise CrossSiteRequest(f"{_REFUSAL} (Origin: {origin[:80]!r})")
