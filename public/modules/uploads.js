// Uploads: checks each chosen file against the limits GET /api/me publishes (the server stays the
// authority), then sends the files one at a time in the order chosen, each in a row with progress
// and a Stop button, retrying a dropped connection with the same Idempotency-Key; when the server
// throttles (429), the queue pauses for its Retry-After, says so, and goes on by itself.
// Imports the API client, formatting, messages, the session, the job list and the poller's delay.

import { ApiError, uploadFile } from "./api.js";
import { formatBytes, formatLimit } from "./format.js";
import { addJob, updateEmptyState } from "./job-list.js";
import { announce, describe, pausedMessage, showAlert } from "./messages.js";
import { chosenOperations } from "./operations.js";
import { POLL_BASE_SECONDS } from "./poller.js";
import { currentSession, identityMode, identityProblem } from "./session.js";
import { statusPhrase } from "./statuses.js";

const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024; // the server's default, until /api/me says
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const RETRIES = 2; // after a dropped connection, waiting 1 s then 2 s
const THROTTLED_SECONDS = 10; // a 429 without Retry-After (a proxy's): wait this long

const rows = document.getElementById("uploads");
const dropHint = document.getElementById("drop-hint");

let maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
let queue = Promise.resolve();

/** Adopts the limits the server publishes in /api/me (it stays the authority). */
export function applyLimits(limits) {
  if (!Number.isInteger(limits?.max_upload_bytes) || limits.max_upload_bytes <= 0) return;
  maxUploadBytes = limits.max_upload_bytes;
  const megapixels = Number.isInteger(limits.max_pixels)
    ? ` and ${Math.floor(limits.max_pixels / 1e6)} megapixels`
    : "";
  dropHint.textContent = `PNG only, up to ${formatLimit(limits.max_upload_bytes)}${megapixels} each.`;
}

/** null when the file may be sent, else why not (mirrors the server's limits). */
async function rejectReason(file) {
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > maxUploadBytes) {
    return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatLimit(maxUploadBytes)}. Please choose a smaller image.`;
  }
  let head;
  try {
    head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  } catch {
    return `${file.name} could not be read.`;
  }
  const isPng = head.length === 8 && PNG_SIGNATURE.every((byte, i) => head[i] === byte);
  return isPng ? null : `${file.name} is not a PNG image. Only PNG files can be converted.`;
}

/** Checks the chosen or dropped files and queues those that pass. */
export async function handleFiles(fileList) {
  const files = Array.from(fileList ?? []);
  if (!files.length) return;
  if (!identityMode()) {
    showAlert("Uploading is not possible until your identity is known.");
    return;
  }
  const operations = chosenOperations(); // as ticked now: a retry sends the same
  if (!operations) {
    showAlert("Choose at least one thing to make of each image (grayscale, thumbnail or metadata).");
    return;
  }
  const accepted = [];
  for (const file of files) {
    const reason = await rejectReason(file);
    if (reason) showAlert(reason, { title: "Not uploaded:" });
    else accepted.push(file);
  }
  const session = currentSession();
  for (const file of accepted) {
    const row = new UploadRow(file, operations);
    // One upload at a time, in the order chosen: jobs are created (and listed) in that order.
    queue = queue.then(() => row.run(session)).catch(() => row.el.remove());
  }
}

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

class UploadRow {
  constructor(file, operations) {
    this.file = file;
    this.operations = operations;
    this.key = randomId();
    this.started = false;
    this.abort = new AbortController();
    this.el = document.createElement("li");
    this.el.className = "upload-row";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    this.progress = document.createElement("progress");
    this.progress.max = 100;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", `Uploading ${file.name}`);
    this.text = document.createElement("span");
    this.text.className = "upload-text";
    this.text.textContent = "Waiting…";
    this.stop = document.createElement("button");
    this.stop.type = "button";
    this.stop.className = "button quiet small";
    this.stop.textContent = "Stop";
    this.stop.setAttribute("aria-label", `Stop uploading ${file.name}`);
    this.stop.addEventListener("click", () => {
      this.abort.abort();
      if (!this.started) this.el.remove();
    });
    this.el.append(name, this.progress, this.text, this.stop);
    rows.append(this.el);
  }

  setProgress(fraction) {
    const percent = Math.round(fraction * 100);
    this.progress.value = percent;
    this.text.textContent = percent >= 100 ? "Checking…" : `${percent}%`;
  }

  /** Sends the file; a dropped connection is retried with the same Idempotency-Key, and so is a
   * throttled upload (429) once its Retry-After has passed, however often the server asks. */
  async send() {
    let paused = false;
    for (let attempt = 0; ; ) {
      try {
        const sent = await uploadFile(this.file, {
          onProgress: (f) => this.setProgress(f),
          signal: this.abort.signal,
          key: this.key,
          operations: this.operations,
        });
        if (paused) announce("Uploads resumed.");
        return sent;
      } catch (error) {
        if (error instanceof ApiError && error.status === 429) {
          const seconds = Math.max(1, error.retryAfter ?? THROTTLED_SECONDS);
          // One message per pause, not per retry: the row shows the countdown.
          if (!paused) showAlert(pausedMessage(error, seconds), { kind: "info", title: "Uploads paused:" });
          paused = true;
          await this.pause(seconds);
          continue;
        }
        if (!(error instanceof ApiError) || error.status !== 0 || attempt >= RETRIES) throw error;
        this.text.textContent = "Connection lost, retrying…";
        await this.wait(2 ** attempt);
        attempt += 1;
      }
    }
  }

  /** Waits `seconds`, showing the countdown in the row. */
  async pause(seconds) {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      this.progress.value = 0;
      this.text.textContent = `Paused, resumes in ${Math.ceil((until - Date.now()) / 1000)} s`;
      await this.wait(Math.min(1, (until - Date.now()) / 1000));
    }
  }

  /** Waits `seconds`; rejects with an AbortError if the upload is stopped meanwhile. */
  wait(seconds) {
    return new Promise((resolve, reject) => {
      const stopped = () => {
        clearTimeout(timer);
        reject(new DOMException("upload stopped", "AbortError"));
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener("abort", stopped);
        resolve();
      }, seconds * 1000);
      if (this.abort.signal.aborted) stopped();
      else this.abort.signal.addEventListener("abort", stopped, { once: true });
    });
  }

  async run(session) {
    if (this.abort.signal.aborted || session !== currentSession()) {
      this.el.remove();
      return;
    }
    this.started = true;
    this.setProgress(0);
    const onSessionEnd = () => this.abort.abort();
    session.abort.signal.addEventListener("abort", onSessionEnd, { once: true });
    try {
      const { job, retryAfter } = await this.send();
      if (session !== currentSession()) return;
      const item = addJob(job, { position: "top", file: this.file });
      announce(`${job.original?.name ?? this.file.name} uploaded; it is ${statusPhrase(job.status)}.`);
      item.schedule(retryAfter ?? POLL_BASE_SECONDS);
      updateEmptyState();
    } catch (error) {
      if (error?.name === "AbortError") {
        if (session === currentSession()) announce(`Upload of ${this.file.name} stopped.`);
      } else {
        const explained = (error.status === 401 || error.status === 503) && identityProblem(error);
        if (!explained) showAlert(describe(error), { title: `${this.file.name} was not uploaded:` });
      }
    } finally {
      session.abort.signal.removeEventListener("abort", onSessionEnd);
      this.el.remove();
    }
  }
}
