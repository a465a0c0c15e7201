// Workers static assets as the platform serves them for this project's configuration:
// files from the assets directory, `run_worker_first` patterns that always reach the Worker,
// html_handling "auto-trailing-slash" (/ → index.html, /page → page.html), and a path with no
// asset falling through to the Worker. A `_headers` file adds headers to matching assets.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

function globToRegExp(glob) {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

export function makeAssetServer(assets) {
  if (!assets) return { workerFirst: () => true, lookup: () => null };
  const rules = Array.isArray(assets.runWorkerFirst)
    ? assets.runWorkerFirst.map((p) => ({ negate: p.startsWith("!"), re: globToRegExp(p.replace(/^!/, "")) }))
    : null;

  const headerRules = readHeadersFile(path.join(assets.directory, "_headers"));

  function workerFirst(pathname) {
    if (rules === null) return Boolean(assets.runWorkerFirst);
    if (rules.some((r) => r.negate && r.re.test(pathname))) return false;
    return rules.some((r) => !r.negate && r.re.test(pathname));
  }

  function candidates(pathname) {
    if (pathname.endsWith("/")) return [`${pathname}index.html`];
    if (pathname.endsWith(".html")) return [pathname];
    return [pathname, `${pathname}.html`, `${pathname}/index.html`];
  }

  /** The asset for a GET/HEAD path, or null when the Worker should answer. */
  function lookup(pathname) {
    let decoded;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    for (const candidate of candidates(decoded)) {
      const file = path.join(assets.directory, path.normalize(candidate));
      if (!file.startsWith(assets.directory + path.sep)) return null;
      try {
        if (!statSync(file).isFile()) continue;
      } catch {
        continue;
      }
      if (path.basename(file) === "_headers" || path.basename(file) === "_redirects") return null;
      const body = readFileSync(file);
      const headers = {};
      for (const rule of headerRules) if (rule.re.test(pathname)) Object.assign(headers, rule.headers);
      return {
        body,
        headers,
        contentType: CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
        etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`,
      };
    }
    return null;
  }

  return { workerFirst, lookup };
}

/** Parses a `_headers` file: a path pattern line, then indented `Name: value` lines. */
function readHeadersFile(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const rules = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      rules.push({ re: globToRegExp(line.trim()), headers: {} });
    } else if (rules.length) {
      const colon = line.indexOf(":");
      if (colon > 0) rules.at(-1).headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return rules;
}
