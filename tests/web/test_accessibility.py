"""Accessibility checks that can fail: names for every control, alt text, one h1, landmarks,
and WCAG AA text contrast measured in the browser in the light and the dark theme."""

import pytest
from playwright.sync_api import expect

from tests.conftest import UserClient

from .helpers import card, open_as, write_corrupt_png, write_png

# For each visible element with its own text: its colour against the first opaque background
# behind it, as the WCAG 2 contrast ratio; large text (24 px, or 18.66 px bold) needs 3, else 4.5.
CONTRAST_SCRIPT = """() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const [r, g, b, a = 1] = parse(getComputedStyle(node).backgroundColor);
      if (a >= 0.99) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("[hidden], .visually-hidden, :disabled, script, style, template")) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility !== "visible" || box.width === 0 || box.height === 0) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)} < ${needed}`);
  }
  return failures;
}"""

NAMES_SCRIPT = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("button, a[href], input, [role=button]")) {
    if (el.closest("[hidden], template")) continue;
    const labelled = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")
      || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.textContent.trim();
    if (!labelled) problems.push(`no name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push(`no alt: ${img.outerHTML.slice(0, 80)}`);
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`duplicate id ${id}`);
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  if (!document.documentElement.lang) problems.push("no lang");
  if (!document.querySelector("main")) problems.push("no main landmark");
  return problems;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_names_landmarks_and_aa_contrast_in_every_state(page, base_url, email, tmp_path, scheme):
    user = UserClient(base_url, email)
    done = user.upload(write_png(tmp_path / "a.png", 16, 12).read_bytes(), name="done.png").json()["job"]
    broken = user.upload(write_corrupt_png(tmp_path / "b.png").read_bytes(), name="broken.png").json()["job"]
    user.wait_until_terminal(done["id"])
    user.wait_until_terminal(broken["id"])
    stopped = user.upload(write_png(tmp_path / "c.png", 8, 8).read_bytes(), name="stopped.png").json()["job"]
    user.http.post(f"/api/jobs/{stopped['id']}/cancel")
    waiting = user.upload(write_png(tmp_path / "d.png", 8, 8).read_bytes(), name="waiting.png").json()["job"]
    assert waiting["status"] == "pending"

    page.emulate_media(color_scheme=scheme)
    open_as(page, base_url, email)
    expect(card(page, "done.png").locator('[data-kind="result"] img')).to_be_visible()
    expect(card(page, "broken.png").locator(".job-error")).to_be_visible()
    expect(card(page, "stopped.png")).to_have_attribute("data-status", "cancelled")
    bogus = tmp_path / "not-a-png.png"
    bogus.write_bytes(b"GIF89a" + b"\0" * 20)
    page.set_input_files("#file-input", str(bogus))
    expect(page.get_by_role("alert")).to_contain_text("not-a-png.png is not a PNG image")
    card(page, "done.png").get_by_role("button", name="Delete done.png").click()  # the confirm panel too

    assert page.evaluate(NAMES_SCRIPT) == []
    assert page.evaluate(CONTRAST_SCRIPT) == []
    card(page, "waiting.png").get_by_role("button", name="Cancel waiting.png").click()
    expect(card(page, "waiting.png")).to_have_attribute("data-status", "cancelled")
