// One job on the page: its card, its poller and its previews kept in step, what the card's
// Cancel, Delete and Download buttons do, and the announcement of each state change. Tells its
// list (job-list.js) when it leaves the page. Imports the modules it combines.

import { api } from "./api.js";
import { dispositionName, grayscaleName, sentence } from "./format.js";
import { JobCard, jobFileName, saveAs } from "./job-card.js";
import { announce, describe, showAlert } from "./messages.js";
import { operationLabel, resultName, taskOf } from "./operations.js";
import { Poller } from "./poller.js";
import { Previews, stopWatching, whenNearViewport } from "./previews.js";
import { statusPhrase, TERMINAL } from "./statuses.js";

const jobsHeading = document.getElementById("jobs-heading");

export class JobItem {
  /** `onGone(item)` is called once the item has left the page (deleted, vanished or reset);
   * `file` is the File the job was uploaded from on this page, if it was. */
  constructor(job, session, { onGone, file = null }) {
    this.session = session;
    this.job = null;
    this.visible = false;
    this.onPage = true;
    this.onGone = onGone;
    this.card = new JobCard(job.id, {
      onCancel: () => this.cancel(),
      onDelete: () => this.remove(),
      onDownloadTask: (operation) => this.downloadTask(operation),
    });
    this.el = this.card.el;
    this.poller = new Poller(session, {
      job: () => this.job,
      onPage: () => this.onPage,
      onJob: (next) => this.update(next),
      onGone: () => {
        this.discard();
        showAlert(`${this.fileName} no longer exists, so it was removed from the list.`, { kind: "info" });
      },
      onFailure: (error) =>
        this.card.showNote(`Could not check the status (${describe(error).replace(/\.$/, "")}). Retrying…`),
      onRecovered: () => this.card.showNote(null),
    });
    this.previews = new Previews(this.card.figures, session, {
      job: () => this.job,
      fileName: () => this.fileName,
      onPage: () => this.onPage,
      onResult: (url, fileName) => this.card.showDownload(url, fileName),
      onNote: (text) => this.card.showNote(text),
      localFile: file,
    });

    this.update(job, { initial: true });
    whenNearViewport(this.el, () => this.onVisible());
  }

  get id() {
    return this.job.id;
  }

  get fileName() {
    return jobFileName(this.job);
  }

  get terminal() {
    return TERMINAL.has(this.job.status);
  }

  /** Shows a (new) version of the job; announces a state change unless it is the first. */
  update(job, { initial = false } = {}) {
    const before = this.job?.status;
    this.job = job;
    const status = job.status;
    const name = this.fileName;
    this.card.render(job);
    if (job.result) {
      // The grayscale result exists: Download fetches it when clicked, unless a preview did.
      const path = job.links?.result ?? `/api/jobs/${job.id}/result`;
      this.card.offerDownload(path, grayscaleName(name), () => this.fetchResult(path, grayscaleName(name)));
    }
    if (this.visible) this.previews.refresh();

    this.announceTasks(job, { quiet: initial });
    if (!initial && before !== status) {
      const message = job.error?.message;
      const ready = job.result ? "The grayscale image is ready to download." : "Its results are ready.";
      if (status === "completed") announce(`${name} is completed. ${ready}`);
      else if (status === "failed") announce(`${name} failed. ${sentence(message ?? "")}`.trim());
      else announce(`${name} is ${statusPhrase(status)}.`);
    }
    if (TERMINAL.has(status)) this.poller.stop();
  }

  /** Announces each task that ended since the last version while the job itself goes on (the
   * job's own announcement says the rest). */
  announceTasks(job, { quiet }) {
    for (const task of job.tasks ?? []) {
      const was = this.taskStatuses?.get(task.operation);
      if (!quiet && !TERMINAL.has(job.status) && was !== task.status && TERMINAL.has(task.status)) {
        announce(`${this.fileName}: ${operationLabel(task.operation).toLowerCase()} ${statusPhrase(task.status)}.`);
      }
    }
    this.taskStatuses = new Map((job.tasks ?? []).map((task) => [task.operation, task.status]));
  }

  /** Downloads a result with the identity header; resolves to { url, fileName }, or null. */
  async fetchResult(path, fallbackName) {
    try {
      const response = await api(path, { headers: { Accept: "*/*" }, signal: this.session.abort.signal });
      const blob = await response.blob();
      if (!this.onPage) return null;
      const url = this.previews.track(blob);
      return { url, fileName: dispositionName(response.headers.get("Content-Disposition")) ?? fallbackName };
    } catch (error) {
      if (error?.name !== "AbortError") this.card.showNote(`The download failed: ${describe(error)}`);
      return null;
    }
  }

  /** Saves the result of the job's `operation` task (its Download button). */
  async downloadTask(operation) {
    const task = taskOf(this.job, operation);
    if (!task?.result) return;
    const fetched = await this.fetchResult(task.result.url, resultName(this.fileName, operation));
    if (fetched) saveAs(fetched.url, fetched.fileName);
  }

  /** Checks the job's status in `seconds` (see poller.js). */
  schedule(seconds) {
    this.poller.schedule(seconds);
  }

  onVisible() {
    this.visible = true;
    this.previews.refresh();
  }

  async cancel() {
    this.card.setCancelling(true);
    try {
      const response = await api(`/api/jobs/${this.job.id}/cancel`, {
        method: "POST",
        signal: this.session.abort.signal,
      });
      const body = await response.json();
      this.poller.forgetEtag();
      this.update(body.job);
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (error.status === 409 && error.body?.job) this.update(error.body.job);
      showAlert(describe(error), { title: `${this.fileName} could not be cancelled:` });
      if (!this.terminal) this.schedule(0);
    } finally {
      this.card.setCancelling(false);
    }
  }

  async remove() {
    this.card.setDeleting(true);
    // No status check while the job is being deleted: it would race the DELETE and find a 404.
    this.poller.stop();
    try {
      await api(`/api/jobs/${this.job.id}`, { method: "DELETE", signal: this.session.abort.signal });
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (error.status !== 404) {
        this.card.setDeleting(false);
        showAlert(describe(error), { title: `${this.fileName} could not be deleted:` });
        if (!this.terminal) this.schedule(0);
        return;
      }
    }
    const next = this.el.nextElementSibling ?? this.el.previousElementSibling;
    const name = this.fileName;
    this.discard();
    announce(`${name} deleted.`);
    (next?.querySelector(".delete") ?? jobsHeading).focus();
  }

  /** Takes the card off the page: stops polling and frees the object URLs. */
  discard() {
    this.poller.stop();
    stopWatching(this.el);
    this.previews.revoke();
    this.el.remove();
    this.onPage = false;
    this.onGone(this);
  }
}
