// A card's before/after images. They are fetched with the identity header as blobs (an <img src>
// cannot send one) and shown through object URLs, each revoked when its card leaves the page;
// a card loads them only once it comes near the viewport.
//
// Sources, smallest first: a job with a thumbnail task previews both images from its thumbnail
// (the original as it is, the grayscale one converted in the page with the server's BT.601 luma;
// luma and box averaging are both linear, so this is the grayscale result's thumbnail within
// rounding); a job without one (or whose thumbnail failed) downloads the full original and
// result, as the page always did. A job uploaded from this page shows its original from the
// chosen file itself. Imports the API client, formatting, the operations and the messages module.

import { api } from "./api.js";
import { dispositionName, grayscaleName } from "./format.js";
import { describe } from "./messages.js";
import { taskOf } from "./operations.js";

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

const LIVE = new Set(["pending", "in_progress"]);

/** `blob` (an image) in gray, as a PNG blob: ITU-R BT.601 luma, the server's grayscale formula
 * ((19595 R + 38470 G + 7471 B + 0x8000) >> 16), alpha kept. */
export async function grayscaleOf(blob) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const pixels = image.data;
  for (let i = 0; i < pixels.length; i += 4) {
    const luma = (19595 * pixels[i] + 38470 * pixels[i + 1] + 7471 * pixels[i + 2] + 0x8000) >> 16;
    pixels[i] = luma;
    pixels[i + 1] = luma;
    pixels[i + 2] = luma;
  }
  context.putImageData(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((png) => (png ? resolve(png) : reject(new Error("the preview could not be drawn"))), "image/png"),
  );
}

export class Previews {
  /**
   * @param figures the card's `<figure>`s by kind: { original, result }
   * @param session the session whose end aborts the downloads
   * @param owner `job()` the latest version, `fileName()` its original's name, `onPage()` false
   *   once the card left the page, `onResult(url, fileName)` the full result was downloaded,
   *   `onNote(text)` a load failed, `localFile` the File it was uploaded from on this page (or null)
   */
  constructor(figures, session, owner) {
    this.figures = figures;
    this.session = session;
    this.owner = owner;
    this.urls = [];
    this.loading = { original: false, result: false };
    this.thumbnail = null; // the promise of the thumbnail's blob, fetched once for both previews
  }

  /** Loads whichever of the two previews can be shown now and is not shown yet. */
  refresh() {
    this.load("original");
    this.load("result");
  }

  /** How to get the `kind` preview of `job` now: { fetch() → { blob, fileName }, full }, or
   * null (not yet). */
  source(kind, job) {
    const thumbnail = taskOf(job, "thumbnail");
    if (kind === "original" && this.owner.localFile) {
      return { fetch: async () => ({ blob: this.owner.localFile, fileName: null }), full: false };
    }
    if (kind === "result" && !job.result) return null; // the grayscale task has not completed
    if (thumbnail?.status === "completed" && thumbnail.result) {
      return {
        fetch: async () => {
          const { blob } = await this.thumbnailBlob(thumbnail.result.url);
          return { blob: kind === "result" ? await grayscaleOf(blob) : blob, fileName: null };
        },
        full: false,
      };
    }
    if (thumbnail && LIVE.has(thumbnail.status)) return null; // wait for it: it is small
    const path = job.links?.[kind] ?? `/api/jobs/${job.id}/${kind}`;
    return { fetch: () => this.download(path), full: true };
  }

  thumbnailBlob(path) {
    this.thumbnail ??= this.download(path).catch((error) => {
      this.thumbnail = null;
      throw error;
    });
    return this.thumbnail;
  }

  /** A download with the identity header: { blob, fileName } (the name its Content-Disposition gives). */
  async download(path) {
    const response = await api(path, { headers: { Accept: "image/png" }, signal: this.session.abort.signal });
    return { blob: await response.blob(), fileName: dispositionName(response.headers.get("Content-Disposition")) };
  }

  /** Keeps an object URL of `blob` until the card leaves the page. */
  track(blob) {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }

  /** Loads the "original" or "result" image once (again only after a failure). */
  async load(kind) {
    if (this.loading[kind]) return;
    const source = this.source(kind, this.owner.job());
    if (!source) return;
    this.loading[kind] = true;
    const figure = this.figures[kind];
    const img = figure.querySelector("img");
    const placeholder = figure.querySelector(".placeholder");
    try {
      const { blob, fileName } = await source.fetch();
      if (!this.owner.onPage()) return;
      const url = this.track(blob);

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
      if (kind === "result" && source.full) this.owner.onResult(url, fileName ?? grayscaleName(name));
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
