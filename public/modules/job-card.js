// One job's card, rendering only: fills a copy of <template id="job-template"> from a job (name,
// badge, facts, the timeline from the status table, each task's status, error, buttons, result
// placeholder) and runs the delete confirmation. What its buttons do is the caller's
// (job-item.js). Imports formatting, the operations and the status table.

import { formatBytes, formatTime, grayscaleName, sentence } from "./format.js";
import { operationLabel, resultName } from "./operations.js";
import { PHASE_TEXT, resultPlaceholder, statusLabel, TERMINAL, timelineSteps } from "./statuses.js";

const template = document.getElementById("job-template");

/** The name a job is shown and announced by. */
export function jobFileName(job) {
  return job.original?.name ?? "image.png";
}

/** Shows one timeline step: its phase (done | current | upcoming | skipped | failed), label and time. */
function renderStep(el, phase, label, time) {
  el.dataset.phase = phase;
  if (phase === "current") el.setAttribute("aria-current", "step");
  else el.removeAttribute("aria-current");
  if (label) el.querySelector(".step-label").textContent = label;
  el.querySelector(".step-state").textContent = PHASE_TEXT[phase];
  const timeEl = el.querySelector(".step-time");
  if (time) {
    timeEl.dateTime = time;
    timeEl.textContent = formatTime(time);
  } else {
    timeEl.removeAttribute("datetime");
    timeEl.textContent = "";
  }
}

/** Saves an object URL as a file, as a click on a download link would. */
export function saveAs(url, fileName) {
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

export class JobCard {
  /** An empty card for job `jobId`; `onCancel()`, `onDelete()` (confirmed) and
   * `onDownloadTask(operation)` are its actions. */
  constructor(jobId, { onCancel, onDelete, onDownloadTask }) {
    this.el = template.content.firstElementChild.cloneNode(true);
    this.el.dataset.jobId = jobId;
    const q = (selector) => this.el.querySelector(selector);
    this.name = q(".job-name");
    this.badge = q("[data-role=badge]");
    this.meta = q(".job-meta");
    this.steps = {
      pending: q('[data-step="pending"]'),
      in_progress: q('[data-step="in_progress"]'),
      end: q('[data-step="end"]'),
    };
    this.tasks = q(".tasks");
    this.taskItems = new Map(); // operation → its <li>
    // The job's webhook, when it has one: a line after the tasks (the template has none, so
    // cards of jobs without a callback are unchanged).
    this.webhook = document.createElement("p");
    this.webhook.className = "job-webhook";
    this.webhook.hidden = true;
    this.tasks.after(this.webhook);
    this.onDownloadTask = onDownloadTask;
    this.fetchDownload = null;
    this.error = q(".job-error");
    this.note = q(".job-note");
    this.figures = {
      original: q('[data-kind="original"]'),
      result: q('[data-kind="result"]'),
    };
    this.download = q(".download");
    this.cancelButton = q(".cancel");
    this.deleteButton = q(".delete");
    this.confirm = q(".confirm");
    this.confirmYes = q(".confirm-yes");

    const titleId = `job-${jobId}-title`;
    this.name.id = titleId;
    q(".job-card").setAttribute("aria-labelledby", titleId);

    this.download.addEventListener("click", (event) => this.downloadClicked(event));
    this.cancelButton.addEventListener("click", () => onCancel());
    this.deleteButton.addEventListener("click", () => this.askDelete());
    this.confirmYes.addEventListener("click", () => onDelete());
    q(".confirm-no").addEventListener("click", () => this.closeConfirm());
    this.confirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeConfirm();
    });
  }

  /** Shows a version of the job. */
  render(job) {
    const status = job.status;
    const name = jobFileName(job);
    this.el.dataset.status = status;
    this.name.textContent = name;
    this.badge.textContent = statusLabel(status);
    this.badge.dataset.status = status;

    const parts = [];
    if (job.original?.width) parts.push(`${job.original.width} × ${job.original.height}`);
    if (Number.isFinite(job.original?.size)) parts.push(formatBytes(job.original.size));
    if (job.created_at) parts.push(`uploaded ${formatTime(job.created_at)}`);
    if (job.attempts > 1) parts.push(`${job.attempts} attempts`);
    this.meta.textContent = parts.join(" · ");

    this.renderTimeline(job);
    this.renderTasks(job);
    this.renderWebhook(job.webhook);

    const message = job.error?.message;
    this.error.hidden = !(status === "failed" && message);
    this.error.textContent = status === "failed" && message ? `This job failed: ${sentence(message)}` : "";

    this.cancelButton.hidden = TERMINAL.has(status);
    this.cancelButton.textContent = "Cancel";
    this.cancelButton.setAttribute("aria-label", `Cancel ${name}`);
    this.deleteButton.setAttribute("aria-label", `Delete ${name}`);
    this.download.setAttribute("aria-label", `Download ${grayscaleName(name)}`);

    const grayscaleAsked = !job.tasks || job.tasks.some((task) => task.operation === "grayscale");
    this.figures.result.querySelector(".placeholder").textContent = grayscaleAsked
      ? resultPlaceholder(status)
      : "Not requested";
    this.figures.result.classList.toggle("busy", status === "in_progress");
  }

  renderTimeline(job) {
    const times = { created_at: job.created_at, started_at: job.started_at, ended: job.completed_at ?? job.updated_at };
    for (const [step, { phase, unstarted, label, time }] of Object.entries(timelineSteps(job.status))) {
      const shown = unstarted && !job.started_at ? unstarted : phase;
      renderStep(this.steps[step], shown, label, time ? times[time] : null);
    }
  }

  /** The callback's delivery: "Webhook to <host>: delivered (HTTP 200, 2 attempts)". */
  renderWebhook(webhook) {
    this.webhook.hidden = !webhook;
    if (!webhook) return;
    let host = webhook.url;
    try {
      host = new URL(webhook.url).host;
    } catch {
      // shown as it is
    }
    const details = [];
    if (webhook.last_status_code !== null && webhook.last_status_code !== undefined) {
      details.push(`HTTP ${webhook.last_status_code}`);
    } else if (webhook.attempts > 0) {
      details.push("no answer");
    }
    if (webhook.attempts > 0) details.push(`${webhook.attempts} attempt${webhook.attempts === 1 ? "" : "s"}`);
    const state = { pending: "pending", delivered: "delivered", failed: "failed" }[webhook.status] ?? webhook.status;
    this.webhook.dataset.status = webhook.status;
    this.webhook.title = webhook.url;
    this.webhook.textContent = `Webhook to ${host}: ${state}${details.length ? ` (${details.join(", ")})` : ""}`;
  }

  /** One line per task: its operation, its status and, once it has a result (other than the
   * grayscale image, which has the card's own Download link), a button to download it. */
  renderTasks(job) {
    const tasks = job.tasks ?? [];
    this.tasks.hidden = tasks.length === 0;
    const name = jobFileName(job);
    for (const task of tasks) {
      let item = this.taskItems.get(task.operation);
      if (!item) {
        item = document.createElement("li");
        item.className = "task";
        item.dataset.operation = task.operation;
        const label = document.createElement("span");
        label.className = "task-name";
        label.textContent = operationLabel(task.operation);
        const status = document.createElement("span");
        status.className = "task-status";
        item.append(label, status);
        this.tasks.append(item);
        this.taskItems.set(task.operation, item);
      }
      item.dataset.status = task.status;
      const status = item.querySelector(".task-status");
      status.dataset.status = task.status;
      status.textContent = statusLabel(task.status);

      const downloadable = task.status === "completed" && task.result && task.operation !== "grayscale";
      let button = item.querySelector(".task-download");
      if (downloadable && !button) {
        button = document.createElement("button");
        button.type = "button";
        button.className = "button quiet small task-download";
        button.textContent = "Download";
        button.addEventListener("click", () => this.onDownloadTask(task.operation));
        item.append(button);
      }
      if (button) {
        button.hidden = !downloadable;
        button.setAttribute("aria-label", `Download ${resultName(name, task.operation)}`);
      }

      let error = item.querySelector(".task-error");
      const message = task.status === "failed" ? task.error?.message : null;
      if (message && !error) {
        error = document.createElement("span");
        error.className = "task-error";
        item.append(error);
      }
      if (error) {
        error.hidden = !message;
        error.textContent = message ? sentence(message) : "";
      }
    }
  }

  /** A line under the timeline (a failed status check or image load); null hides it. */
  showNote(text) {
    this.note.hidden = !text;
    this.note.textContent = text ?? "";
  }

  /** The Download link, once the result's object URL exists. */
  showDownload(url, fileName) {
    this.fetchDownload = null;
    this.download.href = url;
    this.download.download = fileName;
    this.download.hidden = false;
    this.download.setAttribute("aria-label", `Download ${fileName}`);
  }

  /** The Download link of a result the page has not fetched (its preview came from the
   * thumbnail): `href` is the API's, and a click fetches it with the identity header first;
   * `fetchUrl()` resolves to its object URL and file name. */
  offerDownload(href, fileName, fetchUrl) {
    if (this.download.href.startsWith("blob:")) return;
    this.fetchDownload = fetchUrl;
    this.download.href = href;
    this.download.download = fileName;
    this.download.hidden = false;
    this.download.setAttribute("aria-label", `Download ${fileName}`);
  }

  async downloadClicked(event) {
    if (!this.fetchDownload) return; // an object URL already: the browser saves it
    event.preventDefault();
    const fetchUrl = this.fetchDownload;
    const fetched = await fetchUrl();
    if (!fetched) return;
    this.showDownload(fetched.url, fetched.fileName);
    saveAs(fetched.url, fetched.fileName);
  }

  setCancelling(busy) {
    this.cancelButton.disabled = busy;
    this.cancelButton.textContent = busy ? "Cancelling…" : "Cancel";
    // A cancel that ended the job hid its button: keep the keyboard on the card.
    if (!busy && this.cancelButton.hidden && document.activeElement === document.body) this.deleteButton.focus();
  }

  setDeleting(busy) {
    this.confirmYes.disabled = busy;
    this.confirmYes.textContent = busy ? "Deleting…" : "Delete";
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
}
