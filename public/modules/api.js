// The page's HTTP client for the API (docs/API.md): fetch for JSON and images, XMLHttpRequest
// for uploads (fetch reports no upload progress), the dev-mode identity header on every request,
// and the API's error body turned into one ApiError. Imports nothing.

export class ApiError extends Error {
  constructor(status, code, message, body = null, retryAfter = null) {
    super(message);
    this.status = status; // 0: the server could not be reached
    this.code = code;
    this.body = body;
    this.retryAfter = retryAfter; // seconds, from Retry-After (a 429 or a 503), or null
  }
}

export const NETWORK_MESSAGE = "The server could not be reached. Check your connection and try again.";

let devUser = null;

/** Dev mode: the address every request sends as X-Dev-User (null sends none, as behind Access). */
export function sendAsDevUser(email) {
  devUser = email || null;
}

function identityHeaders(headers = new Headers()) {
  if (devUser) headers.set("X-Dev-User", devUser);
  return headers;
}

/** The ApiError of a refused request, from the API's `{"error": {code, message}}` body if any. */
function refusal(status, statusText, body, retryAfter) {
  const message = body?.error?.message;
  const code = body?.error?.code;
  return new ApiError(
    status,
    typeof code === "string" ? code : `http_${status}`,
    typeof message === "string" && message
      ? message
      : `the server answered ${status}${statusText ? ` ${statusText}` : ""}`,
    body,
    retryAfterSeconds(retryAfter),
  );
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  return refusal(response.status, response.statusText, body, response.headers.get("Retry-After"));
}

/** fetch() with the identity header; resolves to the Response (2xx or 304), rejects with ApiError. */
export async function api(path, { method = "GET", headers = {}, body, signal, identity = true } = {}) {
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
export function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** POST /api/jobs with one file; resolves to { job, retryAfter }, rejects with ApiError or AbortError.
 * `key` is the Idempotency-Key: a retry of the same upload creates no second job. `operations`:
 * the API's comma-separated operations (none sent: the server's default). */
export function uploadFile(file, { onProgress, signal, key, operations }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/jobs");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of identityHeaders()) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader("Idempotency-Key", key);
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
      reject(refusal(xhr.status, xhr.statusText, body, xhr.getResponseHeader("Retry-After")));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", NETWORK_MESSAGE)));
    xhr.addEventListener("abort", () => reject(new DOMException("upload stopped", "AbortError")));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    if (operations) form.append("operations", operations);
    xhr.send(form);
  });
}
