import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { loadWranglerConfig, parseJsonc, readDevVars } from "../config.mjs";
import { splitSql } from "../services.mjs";

test("JSONC: comments and trailing commas go, strings stay intact", () => {
  const text = `{
    // a comment
    "url": "http://x/*not a comment*/", /* block */
    "list": [1, 2,],
    "quote": "a \\" // b",
  }`;
  assert.deepEqual(parseJsonc(text), { url: "http://x/*not a comment*/", list: [1, 2], quote: 'a " // b' });
});

test("the project's wrangler.jsonc gives the bindings, queues and vars the Worker needs", () => {
  const config = loadWranglerConfig(path.join(import.meta.dirname, "..", "..", "wrangler.jsonc"));
  assert.equal(config.compatibilityDate, "2026-04-25");
  assert.deepEqual(
    config.d1Databases.map((d) => d.binding),
    ["DB"],
  );
  assert.deepEqual(
    config.r2Buckets.map((b) => b.binding),
    ["IMAGES_BUCKET"],
  );
  assert.deepEqual(config.queueProducers, [
    { binding: "JOB_QUEUE", queue: "image-jobs" },
    { binding: "WEBHOOK_QUEUE", queue: "webhook-deliveries" },
  ]);
  const jobs = config.queueConsumers.find((c) => c.queue === "image-jobs");
  assert.equal(jobs.maxRetries, 3);
  assert.equal(jobs.deadLetterQueue, "image-dlq");
  assert.ok(config.queueConsumers.some((c) => c.queue === "image-dlq"));
  const webhooks = config.queueConsumers.find((c) => c.queue === "webhook-deliveries");
  assert.equal(webhooks.maxRetries, 7);
  assert.equal(webhooks.deadLetterQueue, "webhook-dlq");
  assert.ok(config.queueConsumers.some((c) => c.queue === "webhook-dlq"));
  assert.equal(config.vars.AUTH_MODE, undefined, "dev mode must never be the deployed default");
  assert.deepEqual(config.assets.runWorkerFirst, ["/api/*"]);
  assert.deepEqual(config.crons, ["* * * * *", "17 * * * *"]); // recovery each minute, sweep hourly
});

test("a config without python_workers is refused", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cfg-"));
  const file = path.join(dir, "wrangler.jsonc");
  writeFileSync(file, '{"name": "x", "main": "src/entry.py", "compatibility_flags": []}');
  assert.throws(() => loadWranglerConfig(file), /python_workers/);
});

test("migrations split into statements at semicolons outside strings and comments", () => {
  const sql = "CREATE TABLE t (a TEXT DEFAULT 'x;y'); -- done; really\nINSERT INTO t VALUES ('it''s');\n";
  assert.deepEqual(splitSql(sql), ["CREATE TABLE t (a TEXT DEFAULT 'x;y')", "INSERT INTO t VALUES ('it''s')"]);
});

test(".dev.vars reads like dotenv: export, quotes, comments", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "devvars-"));
  const file = path.join(dir, ".dev.vars");
  writeFileSync(
    file,
    "# local\nexport AUTH_MODE=dev\nA=\"two words\"\nB='single # kept'\nC=plain # comment\n\nbad line\n",
  );
  assert.deepEqual(readDevVars(file), { AUTH_MODE: "dev", A: "two words", B: "single # kept", C: "plain" });
  assert.deepEqual(readDevVars(path.join(dir, "missing")), {});
});
