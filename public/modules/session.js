// Who the page acts for ("access", "dev" or nobody) and the lifetime of one user's view of it:
// a session's AbortController ends every request, poll and upload it started, and a new user
// starts a new session. Also what happens when the server stops accepting who we are.
// Imports the messages module.

import { describe, showAlert } from "./messages.js";

const dropZone = document.getElementById("drop-zone");

let mode = null; // "access" | "dev" | null (no usable identity)
let current = null; // { abort: AbortController, identityLost?: true }

export function identityMode() {
  return mode;
}

export function setIdentityMode(value) {
  mode = value;
}

/** The session of the user the page shows now; work started for an older one is stale. */
export function currentSession() {
  return current;
}

/** Ends the current session (aborting its requests) and starts the next one. */
export function beginSession() {
  current?.abort.abort();
  current = { abort: new AbortController() };
  return current;
}

/** Uploading needs a known user: the drop zone is disabled without one. */
export function setUploadsEnabled(enabled) {
  dropZone.disabled = !enabled;
}

/** The server stopped accepting who we are (sign-in expired, or identity switched off).
 * Says so once per session; true when the person has been told. */
export function identityProblem(error) {
  const session = current;
  const told = Boolean(session?.identityLost);
  if (session) session.identityLost = true;
  if (error.status === 503 || (error.status === 401 && mode === "access")) {
    if (!told)
      showAlert(`${describe(error)} Please reload the page to sign in again.`, { title: "You are signed out:" });
    setUploadsEnabled(false);
    session?.abort.abort();
  } else if (!told) {
    showAlert(describe(error), { title: "The dev user was not accepted:" });
  }
  return true;
}
