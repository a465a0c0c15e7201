// Polls one job until it is final (docs/API.md, "Processing", "Long-polling"): asks the server to
// hold each check until the job changes (`Prefer: wait=N` with If-None-Match), and asks again as
// soon as an answer comes, at most once a second. Where the server does not hold (no
// Preference-Applied), it waits at least Retry-After and backs off while nothing changes. It
// stops when its card leaves the page or its session ends. What a new version or a failure means
// is the owner's (job-item.js). Imports the API client, the session and the status table.

import { api, retryAfterSeconds } from "./api.js";
import { currentSession, identityProblem } from "./session.js";
import { TERMINAL } from "./statuses.js";

export const POLL_BASE_SECONDS = 1;
const POLL_MAX_SECONDS = 10;
const POLL_FACTOR = 1.5;
// Held for at most this long (the server caps a wait at 25 s, and proxies cut idle connections).
export const WAIT_SECONDS = 20;
// Held checks of the whole page at once: over HTTP/1.1 a browser opens six connections per
// origin, and uploads and previews need some; other pollers use plain polling meanwhile.
const MAX_HELD = 3;

let held = 0;

export class Poller {
  /**
   * @param session the session the job belongs to; polling stops when it is no longer current
   * @param owner `job()` the latest version, `onPage()` false once the card left the page,
   *   `onJob(job)` a new version, `onGone()` the job no longer exists (404),
   *   `onFailure(error)` a check failed (retried), `onRecovered()` a check worked after failures
   */
  constructor(session, owner) {
    this.session = session;
    this.owner = owner;
    this.etag = null;
    this.timer = null;
    this.inFlight = null; // the AbortController of the check under way
    this.backoff = POLL_BASE_SECONDS;
    this.failures = 0;
  }

  /** Nothing more to poll: the job is final, its card left the page or its session ended. */
  get done() {
    return TERMINAL.has(this.owner.job().status) || !this.owner.onPage() || this.session !== currentSession();
  }

  /** True while a check is under way or scheduled. */
  get active() {
    return this.timer !== null || this.inFlight !== null;
  }

  /** Checks again in `seconds`, replacing any check already scheduled or under way. */
  schedule(seconds) {
    this.stop();
    if (this.done) return;
    this.timer = setTimeout(() => this.poll(), Math.max(0, seconds) * 1000);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** The next check asks for the whole job (the caller changed it, e.g. by cancelling). */
  forgetEtag() {
    this.etag = null;
  }

  /** Polls soon (the tab became visible again). */
  wake() {
    if (this.done || !this.timer) return;
    this.backoff = POLL_BASE_SECONDS;
    this.schedule(0);
  }

  slower() {
    return Math.min(this.backoff * POLL_FACTOR, POLL_MAX_SECONDS);
  }

  async poll() {
    this.timer = null;
    if (this.done) return;
    const job = this.owner.job();
    const headers = this.etag ? { "If-None-Match": this.etag } : {};
    const hold = held < MAX_HELD;
    if (hold) headers.Prefer = `wait=${WAIT_SECONDS}`;
    const check = new AbortController();
    this.inFlight = check;
    if (hold) held += 1;
    const started = performance.now();
    let response;
    try {
      response = await api(job.links?.self ?? `/api/jobs/${job.id}`, {
        headers,
        signal: AbortSignal.any([this.session.abort.signal, check.signal]),
      });
    } catch (error) {
      if (error?.name === "AbortError" || !this.owner.onPage()) return;
      if (error.status === 404) {
        this.owner.onGone();
        return;
      }
      if (error.status === 401 || error.status === 503) {
        identityProblem(error);
        return;
      }
      this.failures += 1;
      this.owner.onFailure(error);
      this.backoff = this.slower();
      this.schedule(this.backoff);
      return;
    } finally {
      if (hold) held -= 1;
      if (this.inFlight === check) this.inFlight = null;
    }
    if (this.failures) {
      this.failures = 0;
      this.owner.onRecovered();
    }
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
    const waited = /^wait=/.test(response.headers.get("Preference-Applied") ?? "");
    let changed = false;
    if (response.status !== 304) {
      const body = await response.json().catch(() => null);
      if (!body?.job || !this.owner.onPage()) return;
      this.etag = response.headers.get("ETag");
      changed = body.job.status !== this.owner.job().status;
      this.owner.onJob(body.job);
    }
    if (this.done) return;
    if (waited) {
      // The server holds checks: ask again at once, but never twice within a second.
      this.backoff = POLL_BASE_SECONDS;
      this.schedule(Math.max(0, POLL_BASE_SECONDS - (performance.now() - started) / 1000));
      return;
    }
    this.backoff = changed ? POLL_BASE_SECONDS : this.slower();
    this.schedule(Math.max(retryAfter ?? 0, this.backoff));
  }
}
