// The page's messages: alerts in the Messages region (role=alert), polite screen-reader
// announcements, and the sentence shown for anything thrown. Imports the API client (ApiError)
// and formatting.

import { ApiError } from "./api.js";
import { sentence } from "./format.js";

const MAX_ALERTS = 6;
const ANNOUNCEMENT_SECONDS = 15;

const alerts = document.getElementById("alerts");
const dismiss = document.getElementById("alerts-dismiss");
const announcer = document.getElementById("announcer");

/** A person-readable sentence from anything thrown: never a stack or "[object Object]". */
export function describe(error) {
  if (error instanceof ApiError) return sentence(error.message);
  return "Something went wrong on this page. Please reload and try again.";
}

/** What the page says when the server asks it to slow down (429): why, and when it goes on. */
export function pausedMessage(error, seconds) {
  const why =
    error?.code === "too_many_active_jobs"
      ? "Many of your jobs are still being processed."
      : "You have uploaded many images in a short time.";
  return `${why} The remaining uploads continue by themselves in ${Math.ceil(seconds)} s.`;
}

/** Shows a message in the alert region (announced by screen readers). */
export function showAlert(text, { kind = "error", title = null } = {}) {
  const item = document.createElement("div");
  item.className = `alert alert-${kind}`;
  if (title) {
    const strong = document.createElement("strong");
    strong.textContent = `${title} `;
    item.append(strong);
  }
  item.append(document.createTextNode(text));
  alerts.append(item);
  while (alerts.children.length > MAX_ALERTS) alerts.firstElementChild.remove();
  dismiss.hidden = false;
}

export function clearAlerts() {
  alerts.replaceChildren();
  dismiss.hidden = true;
}

/** Polite screen-reader announcement (job state changes). */
export function announce(text) {
  const line = document.createElement("p");
  line.textContent = text;
  announcer.append(line);
  setTimeout(() => line.remove(), ANNOUNCEMENT_SECONDS * 1000);
}
