#!/usr/bin/env node
// Measures the offline runtime: cold start, per-request overhead and per-D1-query cost.
// Numbers, not a pass/fail test: the machines are shared, so each figure is a median of
// many runs taken side by side in one process. Usage: node offline-runtime/bench.mjs [--runs N]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeAssetServer } from "./assets.mjs";
import { D1Database, Gateway, R2Bucket, WorkerQueue } from "./bindings.mjs";
import { loadWranglerConfig } from "./config.mjs";
import { startHttpServer } from "./http-server.mjs";
import { startPython } from "./python-host.mjs";
import { applyMigrations, startServices } from "./services.mjs";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "200" } } });
const runs = Number(args.runs);
const quietLog = { info() {}, event() {}, request() {}, python() {}, error: (m, e) => console.error(m, e) };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn, n = runs) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const config = loadWranglerConfig("wrangler.jsonc");
config.pythonModulesDir = path.join(config.root, ".offline-runtime", "python_modules");
const state = mkdtempSync(path.join(os.tmpdir(), "offline-runtime-bench-"));
try {
  let t = performance.now();
  const services = await startServices({
    config,
    persistRoot: state,
    queueHost: async () => new Response("{}"),
    log: quietLog,
  });
  const gateway = new Gateway(services.dispatch);
  for (const d of config.d1Databases) await applyMigrations(gateway, d, quietLog);
  const servicesMs = performance.now() - t;

  const env = { ...config.vars, AUTH_MODE: "dev" };
  for (const d of config.d1Databases) env[d.binding] = new D1Database(gateway, d.binding);
  for (const b of config.r2Buckets) env[b.binding] = new R2Bucket(gateway, b.binding);
  for (const q of config.queueProducers) env[q.binding] = new WorkerQueue(gateway, q.binding);
  t = performance.now();
  const python = await startPython({ config, env, log: quietLog });
  const pythonMs = performance.now() - t;
  const server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    assets: makeAssetServer(config.assets),
    python,
    log: quietLog,
  });
  const base = `http://127.0.0.1:${server.address().port}`;

  const d1 = env.DB;
  const d1Query = await time(() => d1.prepare("SELECT ?1 AS x").bind(1).first());
  const health = await time(() => python.fetch(new Request(`${base}/api/health`)));
  // GET of an unknown job = the same request work plus exactly one D1 query.
  const lookup = await time(() =>
    python.fetch(
      new Request(`${base}/api/jobs/00000000-0000-4000-8000-000000000000`, {
        headers: { "x-dev-user": "b@example.com" },
      }),
    ),
  );
  const overHttp = await time(() => fetch(`${base}/api/health`).then((r) => r.arrayBuffer()));

  console.log(
    `cold start: Miniflare + migrations ${servicesMs.toFixed(0)} ms, Pyodide + SDK + Worker import ${pythonMs.toFixed(0)} ms`,
  );
  console.log(
    `  of which the Worker's top-level import (entry.py and all it imports): ${python.mainImportMs.toFixed(0)} ms (platform budget: 1000 ms)`,
  );
  console.log(`per request (median of ${runs}):`);
  console.log(`  GET /api/health, Python handler only      ${health.toFixed(2)} ms`);
  console.log(`  GET /api/health over HTTP                 ${overHttp.toFixed(2)} ms`);
  console.log(`per D1 query (median of ${runs}):`);
  console.log(`  from Node through the gateway Worker      ${d1Query.toFixed(2)} ms`);
  console.log(`  from Python (job lookup − health)         ${(lookup - health).toFixed(2)} ms`);
  server.close();
  await services.dispose();
} finally {
  rmSync(state, { recursive: true, force: true });
}
