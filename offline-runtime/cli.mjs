#!/usr/bin/env node
// The offline runtime: runs the Python Worker of wrangler.jsonc locally with no network —
// its code in Pyodide (npm `pyodide`), its D1, R2 and Queues in Miniflare (real workerd).
// Usage: node offline-runtime/cli.mjs [--port 8787] [--host 127.0.0.1] [--config wrangler.jsonc]
//        [--persist-to .wrangler/state/v3] [--clean] [--var NAME:VALUE ...] [--quiet]
//        [--no-cron-clock]   (crons fire only on request, for tests that need control)
//        [--inject-fault [crash:]BINDING.OPERATION[*COUNT]=MATCH ...]   (for tests; faults.mjs)
//        [--ratelimit NAME=LIMIT/PERIOD ...]   (a rate limiting binding's own limit, for tests and load)
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeAssetServer } from "./assets.mjs";
import { D1Database, Gateway, R2Bucket, Ratelimit, WorkerQueue } from "./bindings.mjs";
import { loadWranglerConfig, overrideRateLimits, readDevVars } from "./config.mjs";
import { FaultInjector, parseFaults } from "./faults.mjs";
import { startHttpServer } from "./http-server.mjs";
import { Isolate } from "./isolate.mjs";
import { makeLog } from "./log.mjs";
import { startPython } from "./python-host.mjs";
import { queueHost } from "./queues.mjs";
import { ScheduledController, startCronClock } from "./scheduled.mjs";
import { applyMigrations, startServices } from "./services.mjs";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8787" },
    host: { type: "string", default: "127.0.0.1" },
    config: { type: "string", default: "wrangler.jsonc" },
    "persist-to": { type: "string" },
    "python-modules": { type: "string" },
    clean: { type: "boolean", default: false },
    var: { type: "string", multiple: true, default: [] },
    quiet: { type: "boolean", default: false },
    "inject-fault": { type: "string", multiple: true, default: [] },
    "no-cron-clock": { type: "boolean", default: false },
    ratelimit: { type: "string", multiple: true, default: [] },
  },
});

function envVars(config, overrides) {
  const vars = {};
  Object.assign(vars, config.vars);
  Object.assign(vars, readDevVars(path.join(config.root, ".dev.vars")));
  for (const item of overrides) {
    const colon = item.indexOf(":");
    if (colon < 1) throw new Error(`--var expects NAME:VALUE, got ${item}`);
    vars[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return vars;
}

/** The kind of each binding that faults can be injected into: name → "d1" | "r2" | "queue" | "ratelimit". */
function bindingKinds(config) {
  return Object.fromEntries([
    ...config.d1Databases.map((d) => [d.binding, "d1"]),
    ...config.r2Buckets.map((b) => [b.binding, "r2"]),
    ...config.queueProducers.map((q) => [q.binding, "queue"]),
    ...config.rateLimits.map((r) => [r.binding, "ratelimit"]),
  ]);
}

async function main() {
  const log = makeLog({ quiet: args.quiet });
  const config = loadWranglerConfig(args.config);
  config.rateLimits = overrideRateLimits(config.rateLimits, args.ratelimit);
  config.pythonModulesDir = path.resolve(
    args["python-modules"] ?? path.join(config.root, ".offline-runtime", "python_modules"),
  );
  if (!existsSync(path.join(config.pythonModulesDir, "workers"))) {
    throw new Error(`no vendored Python packages in ${config.pythonModulesDir}: run \`make deps\` first`);
  }
  const persistRoot = path.resolve(args["persist-to"] ?? path.join(config.root, ".wrangler", "state", "v3"));
  if (args.clean) {
    rmSync(persistRoot, { recursive: true, force: true });
    log.info(`cleared local state in ${persistRoot}`);
  }

  const started = performance.now();
  const faults = new FaultInjector(parseFaults(args["inject-fault"], bindingKinds(config)), log);
  for (const fault of faults.faults) log.info(`injecting fault ${fault.spec}`);
  for (const r of config.rateLimits) log.info(`rate limit ${r.binding}: ${r.limit} per ${r.period} s per key`);
  for (const c of config.queueConsumers.filter((c) => c.maxConcurrency !== undefined)) {
    log.info(`queue ${c.queue}: max_concurrency ${c.maxConcurrency} not applied; batches are delivered one at a time`);
  }

  // The Python instance is created after the services, but the consumer needs it at start-up:
  // batches that arrive before Python is ready wait for it.
  let resolveBooted;
  const booted = new Promise((resolve) => (resolveBooted = resolve));
  const isolate = new Isolate({ start: (gate) => startPython({ config, env: workerEnv(gate), log }), log });
  const lazyIsolate = { queue: async (batch) => (await booted).queue(batch) };
  const services = await startServices({ config, persistRoot, queueHost: queueHost(lazyIsolate, log), log });
  const gateway = new Gateway(services.dispatch);
  for (const database of config.d1Databases) await applyMigrations(gateway, database, log);

  const vars = envVars(config, args.var);
  /** The Worker's env for one Python instance: its binding calls pass through its gate. */
  function workerEnv(gate) {
    const env = { ...vars };
    const gated = new Gateway(gate.wrap(services.dispatch));
    for (const d of config.d1Databases) env[d.binding] = new D1Database(gated, d.binding, faults);
    for (const b of config.r2Buckets) env[b.binding] = new R2Bucket(gated, b.binding, faults);
    for (const q of config.queueProducers) env[q.binding] = new WorkerQueue(gated, q.binding, faults);
    for (const r of config.rateLimits) env[r.binding] = new Ratelimit(gated, r.binding, faults);
    return env;
  }

  const python = await isolate.boot();
  faults.onCrash = (reason) => isolate.crash(reason);
  resolveBooted(isolate);
  const server = await startHttpServer({
    host: args.host,
    port: Number(args.port),
    assets: makeAssetServer(config.assets),
    python: isolate,
    log,
    crons: config.crons,
    requestSignal: config.compatibilityFlags.includes("enable_request_signal"),
  });
  const address = server.address();
  log.info(
    `${config.name}: Python ${python.startupMs.toFixed(0)} ms, ready in ${(performance.now() - started).toFixed(0)} ms`,
  );
  log.info(`offline runtime listening on http://${address.address}:${address.port} (pid ${process.pid})`);

  let stopClock = () => {};
  if (config.crons.length && args["no-cron-clock"]) {
    log.info(
      `crons ${config.crons.join(", ")}: clock off; fire one with GET /cdn-cgi/handler/scheduled?cron=<expression>`,
    );
  } else if (config.crons.length) {
    stopClock = startCronClock(config.crons, (cron, time) => fireCron(isolate, cron, time, log));
    log.info(`crons ${config.crons.join(", ")} fire on schedule (UTC); --no-cron-clock turns the clock off`);
  }

  const stop = async () => {
    stopClock();
    server.close();
    await services.dispose();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** One scheduled event, as the cron clock fires it; failures are logged like workerd's. */
async function fireCron(isolate, cron, time, log) {
  const started = performance.now();
  try {
    await isolate.scheduled(new ScheduledController(cron, time));
    log.event(`cron "${cron}" at ${new Date(time).toISOString()} (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    log.error(`cron "${cron}": the scheduled handler raised`, error);
  }
}

main().catch((error) => {
  process.stderr.write(`offline runtime failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
