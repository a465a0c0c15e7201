// Who the person is (docs/API.md, "Identity"): behind Cloudflare Access the server knows and the
// page shows the address; in local dev mode the person types a dev user, sent as X-Dev-User and
// remembered in this browser. A known user gets a new session showing their jobs.
// Imports the API client, formatting, messages, the session, the job list and uploads (limits).

import { api, NETWORK_MESSAGE, sendAsDevUser } from "./api.js";
import { sentence } from "./format.js";
import { loadPage, resetJobs, showOwner, showStatus } from "./job-list.js";
import { clearAlerts, describe, showAlert } from "./messages.js";
import { identityMode, setIdentityMode, setUploadsEnabled } from "./session.js";
import { applyLimits } from "./uploads.js";

const DEV_USER_KEY = "grayscale.devUser";
const DEFAULT_DEV_USER = "me@example.com";

const identityStatus = document.getElementById("identity-status");
const signedIn = document.getElementById("signed-in");
const userEmail = document.getElementById("user-email");
const devForm = document.getElementById("dev-user-form");
const devInput = document.getElementById("dev-user");

let devUser = null;
let devUserAttempt = 0;

function startSession() {
  resetJobs();
  showOwner(identityMode() === "dev" ? devUser : userEmail.textContent);
  setUploadsEnabled(true);
  loadPage(null);
}

/** Asks GET /api/me without identity: Access answers with the user, dev mode with a 401 naming
 * X-Dev-User; anything else is explained and leaves the page without a user. */
export async function detectIdentity() {
  let response;
  try {
    response = await fetch("/api/me", {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    identityStatus.textContent = "Offline";
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
    setIdentityMode("access");
    identityStatus.hidden = true;
    userEmail.textContent = body.user.email;
    signedIn.hidden = false;
    startSession();
    return;
  }
  if (response.status === 401 && typeof message === "string" && /x-dev-user/i.test(message)) {
    setIdentityMode("dev");
    identityStatus.hidden = true;
    devForm.hidden = false;
    let stored = null;
    try {
      stored = localStorage.getItem(DEV_USER_KEY);
    } catch {
      /* storage blocked */
    }
    devInput.value = stored || DEFAULT_DEV_USER;
    await useDevUser(devInput.value);
    return;
  }
  setIdentityMode(null);
  setUploadsEnabled(false);
  showStatus("Your jobs cannot be shown until you are signed in.");
  if (response.status === 503) {
    identityStatus.textContent = "Sign-in is not set up";
    showAlert(sentence(message || "the server has no sign-in configured"), { title: "This service is not ready:" });
  } else if (response.status === 401) {
    identityStatus.textContent = "Not signed in";
    showAlert(`${sentence(message || "you are not signed in")} Please reload the page to sign in again.`, {
      title: "You are not signed in:",
    });
  } else {
    identityStatus.textContent = "Unknown user";
    showAlert(sentence(message || `the server answered ${response.status}`), {
      title: "Your identity could not be checked:",
    });
  }
}

/** Dev mode: check the address with the server, remember it, and show that user's jobs. */
async function useDevUser(value) {
  const email = value.trim();
  const attempt = ++devUserAttempt; // only the latest choice counts, whatever answers first
  devUser = email;
  sendAsDevUser(email);
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
    if (devInput.value.trim().toLowerCase() === email.toLowerCase()) {
      devInput.setAttribute("aria-invalid", "false");
      devInput.value = body.user?.email ?? email;
    }
    devUser = body.user?.email ?? email;
    sendAsDevUser(devUser);
    applyLimits(body.limits);
    startSession();
  } catch (error) {
    if (attempt !== devUserAttempt) return;
    devInput.setAttribute("aria-invalid", "true");
    resetJobs();
    showOwner("");
    setUploadsEnabled(false);
    showStatus("Choose a dev user to see their jobs.");
    showAlert(describe(error), { title: "That dev user cannot be used:" });
  }
}

/** The dev-user form was submitted: use a valid address, else say what is wrong. */
export function submitDevUser() {
  if (!devInput.checkValidity()) {
    devInput.setAttribute("aria-invalid", "true");
    showAlert("Please enter an e-mail address for the dev user, like me@example.com.");
    devInput.focus();
    return;
  }
  clearAlerts();
  useDevUser(devInput.value);
}
