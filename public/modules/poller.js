// Polls one job until it is final (docs/API.md, "Processing"): waits at least Retry-After, sends
// If-None-Match with the last ETag, backs off while nothing changes, and stops when its card
// leaves the page or its session ends. What a new version or a failure means is the owner's
// (job-item.js). Imports the API client, the session and the status table.

import { api, retryAfterSeconds } from "./api.js";
import { currentSession, identityProblem } from "./session.js";
import { TERMINAL } from "./statuses.js";

export const POLL_BASE_SECONDS = 1;
const POLL_MAX_SECONDS = 10;
const POLL_FACTOR = 1.5;

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
    this.backoff = POLL_BASE_SECONDS;
    this.failures = 0;
  }

  /** Nothing more to poll: the job is final, its card left the page or its session ended. */
  get done() {
    return TERMINAL.has(this.owner.job().status) || !this.owner.onPage() || this.session !== currentSession();
  }

  /** True while a next check is scheduled. */
  get active() {
    return this.timer !== null;
  }

  /** Checks again in `seconds` (replacing any check already scheduled). */
  schedule(seconds) {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.done) return;
    this.timer = setTimeout(() => this.poll(), Math.max(0, seconds) * 1000);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
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
    let response;
    try {
      response = await api(job.links?.self ?? `/api/jobs/${job.id}`, { headers, signal: this.session.abort.signal });
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
    }
    if (this.failures) {
      this.failures = 0;
      this.owner.onRecovered();
    }
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
    if (response.status === 304) {
      this.backoff = this.slower();
    } else {
      const body = await response.json().catch(() => null);
      if (!body?.job || !this.owner.onPage()) return;
      this.etag = response.headers.get("ETag");
      const changed = body.job.status !== this.owner.job().status;
      this.owner.onJob(body.job);
      this.backoff = changed ? POLL_BASE_SECONDS : this.slower();
    }
    if (!this.done) this.schedule(Math.max(retryAfter ?? 0, this.backoff));
  }
}
