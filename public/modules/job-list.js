// The user's jobs ("Your jobs"): one JobItem per job id, newest first, paged with "Load more"
// (docs/API.md, GET /api/jobs), the empty state and the count, and emptied when the user changes.
// Imports the API client, the session, messages, the poller's base delay and JobItem.

import { api } from "./api.js";
import { JobItem } from "./job-item.js";
import { describe, showAlert } from "./messages.js";
import { POLL_BASE_SECONDS } from "./poller.js";
import { beginSession, currentSession, identityProblem } from "./session.js";

const PAGE_SIZE = 10;

const list = document.getElementById("jobs");
const status = document.getElementById("jobs-status");
const count = document.getElementById("job-count");
const owner = document.getElementById("jobs-owner");
const loadMoreButton = document.getElementById("load-more");

const items = new Map(); // job id → JobItem
let nextCursor = null;

/** Shows a job (or updates the one already shown) at the top or the bottom of the list; `file`
 * is the File it was just uploaded from, if any (its preview needs no download). */
export function addJob(job, { position, file = null }) {
  const existing = items.get(job.id);
  if (existing) {
    existing.update(job);
    return existing;
  }
  const item = new JobItem(job, currentSession(), {
    onGone: (gone) => {
      if (items.get(gone.id) === gone) items.delete(gone.id);
      updateEmptyState();
    },
    file,
  });
  items.set(job.id, item);
  if (position === "top") list.prepend(item.el);
  else list.append(item.el);
  return item;
}

export function updateEmptyState() {
  const shown = items.size;
  if (shown === 0 && !nextCursor) {
    status.hidden = false;
    status.textContent = "No jobs yet. Upload a PNG image to start.";
  } else {
    status.hidden = true;
  }
  count.textContent = shown ? `· ${shown}${nextCursor ? "+" : ""} shown` : "";
}

/** Loads one page of the history (the first when `cursor` is null) below the jobs shown. */
export async function loadPage(cursor) {
  const session = currentSession();
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) params.set("cursor", cursor);
  loadMoreButton.disabled = true;
  loadMoreButton.textContent = "Loading…";
  list.setAttribute("aria-busy", "true");
  try {
    const response = await api(`/api/jobs?${params}`, { signal: session.abort.signal });
    const body = await response.json();
    if (session !== currentSession()) return;
    for (const job of body.jobs ?? []) {
      const item = addJob(job, { position: "bottom" });
      if (!item.terminal && !item.poller.active) item.schedule(POLL_BASE_SECONDS);
    }
    nextCursor = body.next_cursor ?? null;
    loadMoreButton.hidden = !nextCursor;
    updateEmptyState();
  } catch (error) {
    if (error?.name === "AbortError" || session !== currentSession()) return;
    status.hidden = false;
    status.textContent = "Your jobs could not be loaded.";
    const explained = (error.status === 401 || error.status === 503) && identityProblem(error);
    if (!explained) showAlert(describe(error), { title: "Your jobs could not be loaded:" });
  } finally {
    if (session === currentSession()) {
      loadMoreButton.disabled = false;
      loadMoreButton.textContent = "Load more";
      list.setAttribute("aria-busy", "false");
    }
  }
}

export function loadMore() {
  return loadPage(nextCursor);
}

/** Starts a new session with an empty list: stops polls, drops cards and their object URLs. */
export function resetJobs() {
  beginSession();
  for (const item of [...items.values()]) item.discard();
  items.clear();
  nextCursor = null;
  loadMoreButton.hidden = true;
  list.setAttribute("aria-busy", "true");
  status.hidden = false;
  status.textContent = "Loading your jobs…";
}

/** Whose jobs these are (beside the heading); "" for nobody. */
export function showOwner(text) {
  owner.textContent = text;
}

/** Why no jobs are shown, in place of the list. */
export function showStatus(text) {
  status.textContent = text;
}

/** Checks every unfinished job soon (the tab became visible again). */
export function wakeAll() {
  for (const item of items.values()) item.poller.wake();
}
