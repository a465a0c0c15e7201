// A card's before/after images. They are fetched with the identity header as blobs (an <img src>
// cannot send one) and shown through object URLs, each revoked when its card leaves the page;
// a card loads them only once it comes near the viewport. Imports the API client, formatting and
// the messages module.

import { api } from "./api.js";
import { dispositionName, grayscaleName } from "./format.js";
import { describe } from "./messages.js";

const nearViewport =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            nearViewport.unobserve(entry.target);
            entry.target.dispatchEvent(new CustomEvent("visible"));
          }
        },
        { rootMargin: "300px" },
      )
    : null;

/** Calls `callback` once, when `el` first comes within 300px of the viewport (at once without
 * IntersectionObserver). */
export function whenNearViewport(el, callback) {
  if (nearViewport) {
    el.addEventListener("visible", callback, { once: true });
    nearViewport.observe(el);
  } else {
    callback();
  }
}

export function stopWatching(el) {
  nearViewport?.unobserve(el);
}

export class Previews {
  /**
   * @param figures the card's `<figure>`s by kind: { original, result }
   * @param session the session whose end aborts the downloads
   * @param owner `job()` the latest version, `fileName()` its original's name, `onPage()` false
   *   once the card left the page, `onResult(url, fileName)` the result is ready to download, `onNote(text)` a load failed
   */
  constructor(figures, session, owner) {
    this.figures = figures;
    this.session = session;
    this.owner = owner;
    this.urls = [];
    this.loading = { original: false, result: false };
  }

  /** Loads the "original" or "result" image once (again only after a failure). */
  async load(kind) {
    if (this.loading[kind]) return;
    this.loading[kind] = true;
    const figure = this.figures[kind];
    const img = figure.querySelector("img");
    const placeholder = figure.querySelector(".placeholder");
    const job = this.owner.job();
    const path = job.links?.[kind] ?? `/api/jobs/${job.id}/${kind}`;
    try {
      const response = await api(path, { headers: { Accept: "image/png" }, signal: this.session.abort.signal });
      const blob = await response.blob();
      if (!this.owner.onPage()) return;
      const url = URL.createObjectURL(blob);
      this.urls.push(url);

      const name = this.owner.fileName();
      img.alt = kind === "original" ? `Original: ${name}` : `Grayscale version of ${name}`;
      img.src = url;
      img.hidden = false;
      placeholder.hidden = true;
      img.decode().catch(() => {
        // Valid enough for the server's upload checks, but the browser cannot draw it.
        if (img.src !== url) return;
        img.hidden = true;
        placeholder.hidden = false;
        placeholder.textContent = "No preview";
      });
      if (kind === "result") {
        this.owner.onResult(url, dispositionName(response.headers.get("Content-Disposition")) ?? grayscaleName(name));
      }
    } catch (error) {
      if (error?.name === "AbortError") return;
      this.loading[kind] = false;
      placeholder.textContent = "Preview unavailable";
      if (error.status !== 404)
        this.owner.onNote(
          `The ${kind === "original" ? "original" : "grayscale"} image could not be loaded: ${describe(error)}`,
        );
    }
  }

  /** Frees every object URL (the images stop loading: call when the card leaves the page). */
  revoke() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }
}
