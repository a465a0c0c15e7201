"""Page tests: the web page in real Chromium (Debian's, driven by Playwright) against the
offline runtime started by tests/conftest.py. One browser per session, one context per test,
one fresh dev user per test; every test fails on a console error, an uncaught exception or a
Content-Security-Policy violation it did not expect."""

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import REPO, launch_runtime

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "test-results" / "screenshots"

# The page asks GET /api/me without identity first to learn the mode; in dev mode that answer
# is a 401 by design, and Chromium logs every 4xx/5xx fetch as a console error.
EXPECTED_PROBE = re.compile(r"Failed to load resource: the server responded with a status of 401")

# Records, from the first script on, each job card's status changes and any CSP violation.
WATCH_SCRIPT = """
(() => {
  window.__statuses = {};
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
  const record = (el) => {
    const id = el.dataset.jobId, status = el.dataset.status;
    if (!id || !status) return;
    const seen = (window.__statuses[id] ||= []);
    if (seen.at(-1) !== status) seen.push(status);
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "attributes" && m.target.matches?.("li.job")) record(m.target);
      for (const node of m.addedNodes ?? []) if (node.matches?.("li.job")) record(node);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
})();
"""


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make browser)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleGuard:
    """Collects console errors, page errors and CSP violations; `allow` names expected ones."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message):
        if message.type not in ("error", "warning"):
            return
        text = message.text
        url = message.location.get("url", "")
        if message.type == "error" and EXPECTED_PROBE.search(text) and url.endswith("/api/me"):
            return
        if any(p.search(f"{text} {url}") for p in self.allowed):
            return
        if message.type == "warning" and "Content Security Policy" not in text and "Permissions-Policy" not in text:
            return
        self.errors.append(f"console.{message.type}: {text} ({url})")

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def check(self) -> None:
        try:
            violations = self.page.evaluate("window.__csp || []") if not self.page.is_closed() else []
        except Exception:  # noqa: BLE001 — the page navigated away or crashed: the console record still counts
            violations = []
        problems = self.errors + [f"CSP violation: {v}" for v in violations]
        assert not problems, "\n".join(problems)


@pytest.fixture
def context(browser, request):
    viewport = getattr(request, "param", None) or {"width": 1100, "height": 900}
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    context.add_init_script(WATCH_SCRIPT)
    yield context
    context.close()


@pytest.fixture
def console(context):
    page = context.new_page()
    guard = ConsoleGuard(page)
    yield guard
    guard.check()


@pytest.fixture
def page(console) -> Page:
    return console.page


@pytest.fixture
def email() -> str:
    return f"web-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture(scope="session")
def unconfigured_url(tmp_path_factory):
    """A second offline runtime with no identity configured (AUTH_MODE emptied): fails closed."""
    if os.environ.get("WORKER_URL"):
        pytest.skip("needs the offline runtime")
    with launch_runtime(tmp_path_factory.mktemp("unconfigured"), {"AUTH_MODE": ""}) as (url, _log):
        yield url
