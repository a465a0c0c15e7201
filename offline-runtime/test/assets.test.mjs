import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { makeAssetServer } from "../assets.mjs";

function site() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "assets-"));
  writeFileSync(path.join(dir, "index.html"), "<h1>home</h1>");
  writeFileSync(path.join(dir, "about.html"), "about");
  mkdirSync(path.join(dir, "docs"));
  writeFileSync(path.join(dir, "docs", "index.html"), "docs");
  writeFileSync(path.join(dir, "app.js"), "1");
  writeFileSync(path.join(dir, "_headers"), "/*\n  X-Frame-Options: DENY\n/app.js\n  Cache-Control: no-store\n");
  return makeAssetServer({ directory: dir, runWorkerFirst: ["/api/*"] });
}

test("run_worker_first patterns send /api/* to the Worker", () => {
  const assets = site();
  assert.equal(assets.workerFirst("/api/jobs"), true);
  assert.equal(assets.workerFirst("/api/jobs/1/result"), true);
  assert.equal(assets.workerFirst("/"), false);
  assert.equal(assets.workerFirst("/apix"), false);
});

test("html handling: / → index.html, /about → about.html, /docs/ → docs/index.html", () => {
  const assets = site();
  assert.equal(assets.lookup("/").body.toString(), "<h1>home</h1>");
  assert.equal(assets.lookup("/about").body.toString(), "about");
  assert.equal(assets.lookup("/docs/").body.toString(), "docs");
  assert.equal(assets.lookup("/").contentType, "text/html; charset=utf-8");
});

test("a path with no asset falls through, and nothing escapes the directory", () => {
  const assets = site();
  assert.equal(assets.lookup("/missing"), null);
  assert.equal(assets.lookup("/../../etc/passwd"), null);
  assert.equal(assets.lookup("/%2e%2e/%2e%2e/etc/passwd"), null);
  assert.equal(assets.lookup("/_headers"), null);
});

test("_headers rules add headers to matching assets", () => {
  const assets = site();
  assert.equal(assets.lookup("/").headers["x-frame-options"], "DENY");
  assert.equal(assets.lookup("/app.js").headers["cache-control"], "no-store");
  assert.equal(assets.lookup("/").headers["cache-control"], undefined);
});
