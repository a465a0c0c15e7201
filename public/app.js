// The web page of the grayscale API (docs/API.md): upload PNGs, watch each job's
// state, compare before/after, download, cancel, delete, and page through the history.
// Plain ES module, no dependencies; runs under a CSP without 'unsafe-inline' (no inline
// styles or scripts, no innerHTML).

const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024; // the server's default, until /api/me says
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PAGE_SIZE = 10;
const POLL_BASE_SECONDS = 1;
const POLL_MAX_SECONDS = 10;
const POLL_FACTOR = 1.5;
const DEV_USER_KEY = "grayscale.devUser";
const DEFAULT_DEV_USER = "me@example.com";
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const STATUS_LABEL = {
  pending: "Pending",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

const $ = (id) => document.getElementById(id);
const ui = {
  identityStatus: $("identity-status"),
  signedIn: $("signed-in"),
  userEmail: $("user-email"),
  devForm: $("dev-user-form"),
  devInput: $("dev-user"),
  alerts: $("alerts"),
  alertsDismiss: $("alerts-dismiss"),
  fileInput: $("file-input"),
  dropZone: $("drop-zone"),
  uploads: $("uploads"),
  jobs: $("jobs"),
  jobsStatus: $("jobs-status"),
  jobsHeading: $("jobs-heading"),
  jobCount: $("job-count"),
  jobsOwner: $("jobs-owner"),
  loadMore: $("load-more"),
  announcer: $("announcer"),
  template: $("job-template"),
};

/** Who we are, and everything that belongs to that user's view of the page. */
const state = {
  mode: null, // "access" | "dev" | null (no usable identity)
  devUser: null,
  session: null, // { abort: AbortController } — replaced when the user changes
  cards: new Map(), // job id → JobCard
  nextCursor: null,
  uploadQueue: Promise.resolve(),
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
};

/** Adopt the limits the server publishes in /api/me (it stays the authority). */
function applyLimits(limits) {
  if (!Number.isInteger(limits?.max_upload_bytes) || limits.max_upload_bytes <= 0) return;
  state.maxUploadBytes = limits.max_upload_bytes;
  const megapixels = Number.isInteger(limits.max_pixels)
    ? ` and ${Math.floor(limits.max_pixels / 1e6)} megapixels`
    : "";
  $("drop-hint").textContent = `PNG only, up to ${formatLimit(limits.max_upload_bytes)}${megapixels} each.`;
}

// --- errors and messages ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

const NETWORK_MESSAGE = "The server could not be reached. Check your connection and try again.";

/** A person-readable sentence from anything thrown: never a stack or "[object Object]". */
function describe(error) {
  if (error instanceof ApiError) return sentence(error.message);
  return "Something went wrong on this page. Please reload and try again.";
}

function sentence(text) {
  const s = String(text ?? "").trim();
  if (!s) return "";
  const capital = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Shows a message in the alert region (announced by screen readers). */
function showAlert(text, { kind = "error", title = null } = {}) {
  const item = document.createElement("div");
  item.className = `alert alert-${kind}`;
  if (title) {
    const strong = document.createElement("strong");
    strong.textContent = `${title} `;
    item.append(strong);
  }
  item.append(document.createTextNode(text));
  ui.alerts.append(item);
  while (ui.alerts.children.length > 6) ui.alerts.firstElementChild.remove();
  ui.alertsDismiss.hidden = false;
}

function clearAlerts() {
  ui.alerts.replaceChildren();
  ui.alertsDismiss.hidden = true;
}

/** Polite screen-reader announcement (job state changes). */
function announce(text) {
  const line = document.createElement("p");
  line.textContent = text;
  ui.announcer.append(line);
  setTimeout(() => line.remove(), 15000);
}

// --- HTTP ------------------------------------------------------------------------------

function identityHeaders(headers = new Headers()) {
  if (state.mode === "dev" && state.devUser) headers.set("X-Dev-User", state.devUser);
  return headers;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  const message = body?.error?.message;
  const code = body?.error?.code;
  return new ApiError(
    response.status,
    typeof code === "string" ? code : `http_${response.status}`,
    typeof message === "string" && message
      ? message
      : `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
    body,
  );
}

/** fetch() with the identity header; resolves to the Response (2xx or 304), rejects with ApiError. */
async function api(path, { method = "GET", headers = {}, body, signal, identity = true } = {}) {
  const h = new Headers(headers);
  if (!h.has("Accept")) h.set("Accept", "application/json");
  if (identity) identityHeaders(h);
  let response;
  try {
    response = await fetch(path, { method, headers: h, body, signal, cache: "no-store", credentials: "same-origin" });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError(0, "network", NETWORK_MESSAGE);
  }
  if (response.ok || response.status === 304) return response;
  throw await errorFrom(response);
}

/** Retry-After in seconds (delta-seconds or an HTTP date), or null. */
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** Upload one file with XMLHttpRequest (fetch has no upload progress). */
function uploadFile(file, { onProgress, signal, key }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/jobs");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of identityHeaders()) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader("Idempotency-Key", key); // a retry of the same upload creates no second job
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.upload.addEventListener("load", () => onProgress(1));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if ((xhr.status === 202 || xhr.status === 200) && body?.job?.id) {
        resolve({ job: body.job, retryAfter: retryAfterSeconds(xhr.getResponseHeader("Retry-After")) });
        return;
      }
      const message = body?.error?.message;
      reject(
        new ApiError(
          xhr.status,
          body?.error?.code ?? `http_${xhr.status}`,
          typeof message === "string" && message
            ? message
            : `the server answered ${xhr.status} ${xhr.statusText}`.trim(),
          body,
        ),
      );
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", NETWORK_MESSAGE)));
    xhr.addEventListener("abort", () => reject(new DOMException("upload stopped", "AbortError")));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- formatting ------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date().toDateString() === date.toDateString();
  return today ? timeFormat.format(date) : dateTimeFormat.format(date);
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A limit as people write it: whole MiB when it is one, else like a file size. */
function formatLimit(bytes) {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : formatBytes(bytes);
}

function grayscaleName(name) {
  const stem = name.toLowerCase().endsWith(".png") ? name.slice(0, -4) : name;
  return `${stem}-grayscale.png`;
}

/** The file name of a Content-Disposition header (filename* first), or null. */
function dispositionName(header) {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through */
    }
  }
  const plain = header.match(/filename\s*=\s*"([^"]*)"/i);
  return plain ? plain[1] : null;
}

// --- client-side checks ----------------------------------------------------------------

/** null when the file may be sent, else why not (mirrors the server's limits). */
async function rejectReason(file) {
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > state.maxUploadBytes) {
    return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatLimit(state.maxUploadBytes)}. Please choose a smaller image.`;
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

// --- uploads ---------------------------------------------------------------------------

async function handleFiles(fileList) {
  const files = Array.from(fileList ?? []);
  if (!files.length) return;
  if (!state.mode) {
    showAlert("Uploading is not possible until your identity is known.");
    return;
  }
  const accepted = [];
  for (const file of files) {
    const reason = await rejectReason(file);
    if (reason) showAlert(reason, { title: "Not uploaded:" });
    else accepted.push(file);
  }
  const session = state.session;
  for (const file of accepted) {
    const row = new UploadRow(file);
    // One upload at a time, in the order chosen: jobs are created (and listed) in that order.
    state.uploadQueue = state.uploadQueue.then(() => row.run(session)).catch(() => row.el.remove());
  }
}

class UploadRow {
  constructor(file) {
    this.file = file;
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
    ui.uploads.append(this.el);
  }

  setProgress(fraction) {
    const percent = Math.round(fraction * 100);
    this.progress.value = percent;
    this.text.textContent = percent >= 100 ? "Checking…" : `${percent}%`;
  }

  /** Sends the file; a dropped connection is retried twice with the same Idempotency-Key. */
  async send() {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await uploadFile(this.file, {
          onProgress: (f) => this.setProgress(f),
          signal: this.abort.signal,
          key: this.key,
        });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 0 || attempt >= 2) throw error;
        this.text.textContent = "Connection lost, retrying…";
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
        if (this.abort.signal.aborted) throw new DOMException("upload stopped", "AbortError");
      }
    }
  }

  async run(session) {
    if (this.abort.signal.aborted || session !== state.session) {
      this.el.remove();
      return;
    }
    this.started = true;
    this.setProgress(0);
    const onSessionEnd = () => this.abort.abort();
    session.abort.signal.addEventListener("abort", onSessionEnd, { once: true });
    try {
      const { job, retryAfter } = await this.send();
      if (session !== state.session) return;
      const card = addCard(job, { position: "top" });
      announce(
        `${job.original?.name ?? this.file.name} uploaded; it is ${STATUS_LABEL[job.status]?.toLowerCase() ?? job.status}.`,
      );
      card.schedule(retryAfter ?? POLL_BASE_SECONDS);
      updateEmptyState();
    } catch (error) {
      if (error?.name === "AbortError") {
        if (session === state.session) announce(`Upload of ${this.file.name} stopped.`);
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

// --- job cards -------------------------------------------------------------------------

function addCard(job, { position }) {
  const existing = state.cards.get(job.id);
  if (existing) {
    existing.update(job);
    return existing;
  }
  const card = new JobCard(job, state.session);
  state.cards.set(job.id, card);
  if (position === "top") ui.jobs.prepend(card.el);
  else ui.jobs.append(card.el);
  return card;
}

const imageObserver =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            imageObserver.unobserve(entry.target);
            entry.target.dispatchEvent(new CustomEvent("visible"));
          }
        },
        { rootMargin: "300px" },
      )
    : null;

class JobCard {
  constructor(job, session) {
    this.session = session;
    this.job = null;
    this.etag = null;
    this.timer = null;
    this.backoff = POLL_BASE_SECONDS;
    this.urls = [];
    this.visible = false;
    this.loading = { original: false, result: false };
    this.pollFailures = 0;

    this.el = ui.template.content.firstElementChild.cloneNode(true);
    this.el.dataset.jobId = job.id;
    const q = (selector) => this.el.querySelector(selector);
    this.name = q(".job-name");
    this.badge = q("[data-role=badge]");
    this.meta = q(".job-meta");
    this.steps = {
      pending: q('[data-step="pending"]'),
      in_progress: q('[data-step="in_progress"]'),
      end: q('[data-step="end"]'),
    };
    this.error = q(".job-error");
    this.note = q(".job-note");
    this.previews = {
      original: q('[data-kind="original"]'),
      result: q('[data-kind="result"]'),
    };
    this.download = q(".download");
    this.cancelButton = q(".cancel");
    this.deleteButton = q(".delete");
    this.confirm = q(".confirm");

    const titleId = `job-${job.id}-title`;
    this.name.id = titleId;
    q(".job-card").setAttribute("aria-labelledby", titleId);

    this.cancelButton.addEventListener("click", () => this.cancel());
    this.deleteButton.addEventListener("click", () => this.askDelete());
    q(".confirm-yes").addEventListener("click", () => this.remove());
    q(".confirm-no").addEventListener("click", () => this.closeConfirm());
    this.confirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeConfirm();
    });

    this.update(job, { initial: true });

    if (imageObserver) {
      this.el.addEventListener("visible", () => this.onVisible(), { once: true });
      imageObserver.observe(this.el);
    } else {
      this.onVisible();
    }
  }

  get fileName() {
    return this.job.original?.name ?? "image.png";
  }

  get terminal() {
    return TERMINAL.has(this.job.status);
  }

  /** Renders a (new) version of the job; announces a state change unless it is the first. */
  update(job, { initial = false } = {}) {
    const before = this.job?.status;
    this.job = job;
    const status = job.status;
    const name = this.fileName;
    this.el.dataset.status = status;
    this.name.textContent = name;
    this.badge.textContent = STATUS_LABEL[status] ?? status;
    this.badge.dataset.status = status;

    const parts = [];
    if (job.original?.width) parts.push(`${job.original.width} × ${job.original.height}`);
    if (Number.isFinite(job.original?.size)) parts.push(formatBytes(job.original.size));
    if (job.created_at) parts.push(`uploaded ${formatTime(job.created_at)}`);
    if (job.attempts > 1) parts.push(`${job.attempts} attempts`);
    this.meta.textContent = parts.join(" · ");

    this.renderTimeline();

    const message = job.error?.message;
    this.error.hidden = !(status === "failed" && message);
    this.error.textContent = status === "failed" && message ? `This job failed: ${sentence(message)}` : "";

    this.cancelButton.hidden = TERMINAL.has(status);
    this.cancelButton.textContent = "Cancel";
    this.cancelButton.setAttribute("aria-label", `Cancel ${name}`);
    this.deleteButton.setAttribute("aria-label", `Delete ${name}`);
    this.download.setAttribute("aria-label", `Download ${grayscaleName(name)}`);

    const placeholder = this.previews.result.querySelector(".placeholder");
    if (status === "completed") placeholder.textContent = "Loading…";
    else if (status === "failed") placeholder.textContent = "No result";
    else if (status === "cancelled") placeholder.textContent = "Cancelled";
    else placeholder.textContent = status === "in_progress" ? "Converting…" : "Waiting in queue…";
    this.previews.result.classList.toggle("busy", status === "in_progress");

    if (status === "completed" && this.visible) this.loadResult();

    if (!initial && before !== status) {
      if (status === "completed") announce(`${name} is completed. The grayscale image is ready to download.`);
      else if (status === "failed") announce(`${name} failed. ${sentence(message ?? "")}`.trim());
      else announce(`${name} is ${STATUS_LABEL[status]?.toLowerCase() ?? status}.`);
    }
    if (TERMINAL.has(status)) this.stopPolling();
  }

  renderTimeline() {
    const { status, created_at, started_at, completed_at, updated_at } = this.job;
    const set = (step, phase, label, time) => {
      const el = this.steps[step];
      el.dataset.phase = phase; // done | current | upcoming | skipped | failed
      if (phase === "current") el.setAttribute("aria-current", "step");
      else el.removeAttribute("aria-current");
      if (label) el.querySelector(".step-label").textContent = label;
      el.querySelector(".step-state").textContent = {
        done: " (done)",
        current: " (current)",
        upcoming: " (not yet)",
        skipped: " (skipped)",
        failed: " (failed)",
      }[phase];
      const timeEl = el.querySelector(".step-time");
      if (time) {
        timeEl.dateTime = time;
        timeEl.textContent = formatTime(time);
      } else {
        timeEl.removeAttribute("datetime");
        timeEl.textContent = "";
      }
    };
    const endTime = completed_at ?? updated_at;
    switch (status) {
      case "pending":
        set("pending", "current", "Queued", created_at);
        set("in_progress", "upcoming", "Processing", null);
        set("end", "upcoming", "Done", null);
        break;
      case "in_progress":
        set("pending", "done", "Queued", created_at);
        set("in_progress", "current", "Processing", started_at);
        set("end", "upcoming", "Done", null);
        break;
      case "completed":
        set("pending", "done", "Queued", created_at);
        set("in_progress", "done", "Processing", started_at);
        set("end", "done", "Completed", endTime);
        break;
      case "failed":
        set("pending", "done", "Queued", created_at);
        set("in_progress", started_at ? "done" : "skipped", "Processing", started_at);
        set("end", "failed", "Failed", endTime);
        break;
      case "cancelled":
        set("pending", "done", "Queued", created_at);
        set("in_progress", started_at ? "done" : "skipped", "Processing", started_at);
        set("end", "failed", "Cancelled", endTime);
        break;
      default:
        set("pending", "current", STATUS_LABEL[status] ?? status, created_at);
    }
  }

  // polling: honours Retry-After, sends If-None-Match, backs off, stops when terminal

  schedule(seconds) {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.terminal || this.session !== state.session) return;
    this.timer = setTimeout(() => this.poll(), Math.max(0, seconds) * 1000);
  }

  stopPolling() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  async poll() {
    this.timer = null;
    if (this.terminal || this.session !== state.session) return;
    const headers = this.etag ? { "If-None-Match": this.etag } : {};
    let response;
    try {
      response = await api(this.job.links?.self ?? `/api/jobs/${this.job.id}`, {
        headers,
        signal: this.session.abort.signal,
      });
    } catch (error) {
      if (error?.name === "AbortError" || !state.cards.has(this.job.id)) return;
      if (error.status === 404) {
        this.discard();
        showAlert(`${this.fileName} no longer exists, so it was removed from the list.`, { kind: "info" });
        return;
      }
      if (error.status === 401 || error.status === 503) {
        identityProblem(error);
        return;
      }
      this.pollFailures += 1;
      this.showNote(`Could not check the status (${describe(error).replace(/\.$/, "")}). Retrying…`);
      this.backoff = Math.min(this.backoff * POLL_FACTOR, POLL_MAX_SECONDS);
      this.schedule(this.backoff);
      return;
    }
    if (this.pollFailures) {
      this.pollFailures = 0;
      this.showNote(null);
    }
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
    if (response.status === 304) {
      this.backoff = Math.min(this.backoff * POLL_FACTOR, POLL_MAX_SECONDS);
    } else {
      const body = await response.json().catch(() => null);
      if (!body?.job || !state.cards.has(this.job.id)) return;
      this.etag = response.headers.get("ETag");
      const changed = body.job.status !== this.job.status;
      this.update(body.job);
      this.backoff = changed ? POLL_BASE_SECONDS : Math.min(this.backoff * POLL_FACTOR, POLL_MAX_SECONDS);
    }
    if (!this.terminal) this.schedule(Math.max(retryAfter ?? 0, this.backoff));
  }

  /** Poll soon (the tab became visible again). */
  wake() {
    if (this.terminal || !this.timer) return;
    this.backoff = POLL_BASE_SECONDS;
    this.schedule(0);
  }

  showNote(text) {
    this.note.hidden = !text;
    this.note.textContent = text ?? "";
  }

  // images: fetched with the identity header as blobs, shown through object URLs

  onVisible() {
    this.visible = true;
    this.loadImage("original");
    if (this.job.status === "completed") this.loadResult();
  }

  loadResult() {
    this.loadImage("result");
  }

  async loadImage(kind) {
    if (this.loading[kind]) return;
    this.loading[kind] = true;
    const figure = this.previews[kind];
    const img = figure.querySelector("img");
    const placeholder = figure.querySelector(".placeholder");
    const path = this.job.links?.[kind] ?? `/api/jobs/${this.job.id}/${kind}`;
    try {
      const response = await api(path, { headers: { Accept: "image/png" }, signal: this.session.abort.signal });
      const blob = await response.blob();
      if (!state.cards.has(this.job.id)) return;
      const url = URL.createObjectURL(blob);
      this.urls.push(url);

      img.alt = kind === "original" ? `Original: ${this.fileName}` : `Grayscale version of ${this.fileName}`;
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
        const fileName = dispositionName(response.headers.get("Content-Disposition")) ?? grayscaleName(this.fileName);
        this.download.href = url;
        this.download.download = fileName;
        this.download.hidden = false;
        this.download.setAttribute("aria-label", `Download ${fileName}`);
      }
    } catch (error) {
      if (error?.name === "AbortError") return;
      this.loading[kind] = false;
      placeholder.textContent = "Preview unavailable";
      if (error.status !== 404)
        this.showNote(
          `The ${kind === "original" ? "original" : "grayscale"} image could not be loaded: ${describe(error)}`,
        );
    }
  }

  // actions

  async cancel() {
    this.cancelButton.disabled = true;
    this.cancelButton.textContent = "Cancelling…";
    try {
      const response = await api(`/api/jobs/${this.job.id}/cancel`, {
        method: "POST",
        signal: this.session.abort.signal,
      });
      const body = await response.json();
      this.etag = null;
      this.update(body.job);
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (error.status === 409 && error.body?.job) this.update(error.body.job);
      showAlert(describe(error), { title: `${this.fileName} could not be cancelled:` });
      if (!this.terminal) this.schedule(0);
    } finally {
      this.cancelButton.disabled = false;
      this.cancelButton.textContent = "Cancel";
      if (this.cancelButton.hidden && document.activeElement === document.body) this.deleteButton.focus();
    }
  }

  askDelete() {
    this.deleteButton.hidden = true;
    this.confirm.hidden = false;
    this.confirm.querySelector(".confirm-no").focus();
  }

  closeConfirm() {
    this.confirm.hidden = true;
    this.deleteButton.hidden = false;
    this.deleteButton.focus();
  }

  async remove() {
    const yes = this.confirm.querySelector(".confirm-yes");
    yes.disabled = true;
    yes.textContent = "Deleting…";
    try {
      await api(`/api/jobs/${this.job.id}`, { method: "DELETE", signal: this.session.abort.signal });
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (error.status !== 404) {
        yes.disabled = false;
        yes.textContent = "Delete";
        showAlert(describe(error), { title: `${this.fileName} could not be deleted:` });
        return;
      }
    }
    const next = this.el.nextElementSibling ?? this.el.previousElementSibling;
    const name = this.fileName;
    this.discard();
    announce(`${name} deleted.`);
    (next?.querySelector(".delete") ?? ui.jobsHeading).focus();
  }

  /** Takes the card off the page: stops polling and frees the object URLs. */
  discard() {
    this.stopPolling();
    imageObserver?.unobserve(this.el);
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.el.remove();
    state.cards.delete(this.job.id);
    updateEmptyState();
  }
}

function updateEmptyState() {
  const count = state.cards.size;
  if (count === 0 && !state.nextCursor) {
    ui.jobsStatus.hidden = false;
    ui.jobsStatus.textContent = "No jobs yet. Upload a PNG image to start.";
  } else {
    ui.jobsStatus.hidden = true;
  }
  ui.jobCount.textContent = count ? `· ${count}${state.nextCursor ? "+" : ""} shown` : "";
}

// --- history ---------------------------------------------------------------------------

async function loadPage(cursor) {
  const session = state.session;
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) params.set("cursor", cursor);
  ui.loadMore.disabled = true;
  ui.loadMore.textContent = "Loading…";
  ui.jobs.setAttribute("aria-busy", "true");
  try {
    const response = await api(`/api/jobs?${params}`, { signal: session.abort.signal });
    const body = await response.json();
    if (session !== state.session) return;
    for (const job of body.jobs ?? []) {
      const card = addCard(job, { position: "bottom" });
      if (!card.terminal && !card.timer) card.schedule(POLL_BASE_SECONDS);
    }
    state.nextCursor = body.next_cursor ?? null;
    ui.loadMore.hidden = !state.nextCursor;
    updateEmptyState();
  } catch (error) {
    if (error?.name === "AbortError" || session !== state.session) return;
    ui.jobsStatus.hidden = false;
    ui.jobsStatus.textContent = "Your jobs could not be loaded.";
    const explained = (error.status === 401 || error.status === 503) && identityProblem(error);
    if (!explained) showAlert(describe(error), { title: "Your jobs could not be loaded:" });
  } finally {
    if (session === state.session) {
      ui.loadMore.disabled = false;
      ui.loadMore.textContent = "Load more";
      ui.jobs.setAttribute("aria-busy", "false");
    }
  }
}

// --- identity --------------------------------------------------------------------------

/** Ends the current user's view: stops polls, drops cards and their object URLs. */
function resetSession() {
  state.session?.abort.abort();
  for (const card of [...state.cards.values()]) card.discard();
  state.cards.clear();
  state.nextCursor = null;
  state.session = { abort: new AbortController() };
  ui.loadMore.hidden = true;
  ui.jobs.setAttribute("aria-busy", "true");
  ui.jobsStatus.hidden = false;
  ui.jobsStatus.textContent = "Loading your jobs…";
}

function setUploadsEnabled(enabled) {
  ui.dropZone.disabled = !enabled;
}

/** The server stopped accepting who we are (sign-in expired, or identity switched off).
 * Says so once per session; true when the person has been told. */
function identityProblem(error) {
  const session = state.session;
  const told = Boolean(session?.identityLost);
  if (session) session.identityLost = true;
  if (error.status === 503 || (error.status === 401 && state.mode === "access")) {
    if (!told)
      showAlert(`${describe(error)} Please reload the page to sign in again.`, { title: "You are signed out:" });
    setUploadsEnabled(false);
    session?.abort.abort();
  } else if (!told) {
    showAlert(describe(error), { title: "The dev user was not accepted:" });
  }
  return true;
}

async function detectIdentity() {
  let response;
  try {
    response = await fetch("/api/me", {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    ui.identityStatus.textContent = "Offline";
    showAlert(NETWORK_MESSAGE);
    return;
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  const message = body?.error?.message;
  if (response.ok && body?.user?.email) {
    applyLimits(body.limits);
    state.mode = "access";
    ui.identityStatus.hidden = true;
    ui.userEmail.textContent = body.user.email;
    ui.signedIn.hidden = false;
    startSession();
    return;
  }
  if (response.status === 401 && typeof message === "string" && /x-dev-user/i.test(message)) {
    state.mode = "dev";
    ui.identityStatus.hidden = true;
    ui.devForm.hidden = false;
    let stored = null;
    try {
      stored = localStorage.getItem(DEV_USER_KEY);
    } catch {
      /* storage blocked */
    }
    ui.devInput.value = stored || DEFAULT_DEV_USER;
    await useDevUser(ui.devInput.value);
    return;
  }
  state.mode = null;
  setUploadsEnabled(false);
  ui.jobsStatus.textContent = "Your jobs cannot be shown until you are signed in.";
  if (response.status === 503) {
    ui.identityStatus.textContent = "Sign-in is not set up";
    showAlert(sentence(message || "the server has no sign-in configured"), { title: "This service is not ready:" });
  } else if (response.status === 401) {
    ui.identityStatus.textContent = "Not signed in";
    showAlert(`${sentence(message || "you are not signed in")} Please reload the page to sign in again.`, {
      title: "You are not signed in:",
    });
  } else {
    ui.identityStatus.textContent = "Unknown user";
    showAlert(sentence(message || `the server answered ${response.status}`), {
      title: "Your identity could not be checked:",
    });
  }
}

/** Dev mode: check the address with the server, remember it, and show that user's jobs. */
let devUserAttempt = 0;

async function useDevUser(value) {
  const email = value.trim();
  const attempt = ++devUserAttempt; // only the latest choice counts, whatever answers first
  state.devUser = email;
  try {
    const response = await api("/api/me");
    const body = await response.json();
    if (attempt !== devUserAttempt) return;
    try {
      localStorage.setItem(DEV_USER_KEY, email);
    } catch {
      /* storage blocked */
    }
    // The person may have typed since this check started: never overwrite their typing.
    if (ui.devInput.value.trim().toLowerCase() === email.toLowerCase()) {
      ui.devInput.setAttribute("aria-invalid", "false");
      ui.devInput.value = body.user?.email ?? email;
    }
    state.devUser = body.user?.email ?? email;
    applyLimits(body.limits);
    startSession();
  } catch (error) {
    if (attempt !== devUserAttempt) return;
    ui.devInput.setAttribute("aria-invalid", "true");
    resetSession();
    ui.jobsOwner.textContent = "";
    setUploadsEnabled(false);
    ui.jobsStatus.textContent = "Choose a dev user to see their jobs.";
    showAlert(describe(error), { title: "That dev user cannot be used:" });
  }
}

function startSession() {
  resetSession();
  ui.jobsOwner.textContent = state.mode === "dev" ? state.devUser : ui.userEmail.textContent;
  setUploadsEnabled(true);
  loadPage(null);
}

// --- wiring ----------------------------------------------------------------------------

ui.dropZone.addEventListener("click", () => ui.fileInput.click());
ui.fileInput.addEventListener("change", () => {
  handleFiles(ui.fileInput.files);
  ui.fileInput.value = "";
});

// Drop anywhere on the page; the drop zone lights up while something is dragged over it.
let dragDepth = 0;
const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
window.addEventListener("dragenter", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth += 1;
  document.body.classList.add("dragging");
});
window.addEventListener("dragover", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = ui.dropZone.disabled ? "none" : "copy";
});
window.addEventListener("dragleave", (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) document.body.classList.remove("dragging");
});
window.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  document.body.classList.remove("dragging");
  if (ui.dropZone.disabled) return;
  handleFiles(event.dataTransfer.files);
});

ui.devForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!ui.devInput.checkValidity()) {
    ui.devInput.setAttribute("aria-invalid", "true");
    showAlert("Please enter an e-mail address for the dev user, like me@example.com.");
    ui.devInput.focus();
    return;
  }
  clearAlerts();
  useDevUser(ui.devInput.value);
});

ui.alertsDismiss.addEventListener("click", () => {
  clearAlerts();
  ui.dropZone.focus();
});
ui.loadMore.addEventListener("click", () => loadPage(state.nextCursor));

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") for (const card of state.cards.values()) card.wake();
});

detectIdentity();
