#!/usr/bin/env node
// The offline runtime: runs the Python Worker of wrangler.jsonc locally with no network —
// its code in Pyodide (npm `pyodide`), its D1, R2 and Queues in Miniflare (real workerd).
// Usage: node offline-runtime/cli.mjs [--port 8787] [--host 127.0.0.1] [--config wrangler.jsonc]
//        [--persist-to .wrangler/state/v3] [--clean] [--var NAME:VALUE ...] [--quiet]
//        [--inject-fault BINDING.get=KEY_PREFIX ...]   (simulated R2 outages, for tests)
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeAssetServer } from "./assets.mjs";
import { D1Database, Gateway, R2Bucket, WorkerQueue } from "./bindings.mjs";
import { loadWranglerConfig, readDevVars } from "./config.mjs";
import { startHttpServer } from "./http-server.mjs";
import { makeLog } from "./log.mjs";
import { startPython } from "./python-host.mjs";
import { queueHost } from "./queues.mjs";
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

/** `IMAGES_BUCKET.get=originals/` → { IMAGES_BUCKET: [{ method: "get", keyPrefix: "originals/" }] } */
function parseFaults(specs) {
  const faults = {};
  for (const spec of specs) {
    const match = spec.match(/^([A-Za-z_][A-Za-z0-9_]*)\.(get|put)=(.*)$/);
    if (!match) throw new Error(`--inject-fault expects BINDING.get=PREFIX or BINDING.put=PREFIX, got ${spec}`);
    faults[match[1]] ??= [];
    faults[match[1]].push({ method: match[2], keyPrefix: match[3] });
  }
  return faults;
}

async function main() {
  const log = makeLog({ quiet: args.quiet });
  const config = loadWranglerConfig(args.config);
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
  // The Python handler is created after the services, but the consumer needs it at start-up:
  // batches that arrive before Python is ready wait for it.
  let resolvePython;
  const pythonReady = new Promise((resolve) => (resolvePython = resolve));
  const lazyPython = { queue: async (batch) => (await pythonReady).queue(batch) };
  const services = await startServices({ config, persistRoot, queueHost: queueHost(lazyPython, log), log });
  const gateway = new Gateway(services.dispatch);
  for (const database of config.d1Databases) await applyMigrations(gateway, database, log);

  const env = envVars(config, args.var);
  for (const d of config.d1Databases) env[d.binding] = new D1Database(gateway, d.binding);
  const faults = parseFaults(args["inject-fault"]);
  for (const b of config.r2Buckets) env[b.binding] = new R2Bucket(gateway, b.binding, faults[b.binding]);
  for (const [binding, list] of Object.entries(faults))
    log.info(`injecting faults into ${binding}: ${JSON.stringify(list)}`);
  for (const q of config.queueProducers) env[q.binding] = new WorkerQueue(gateway, q.binding);

  const python = await startPython({ config, env, log });
  resolvePython(python);
  const server = await startHttpServer({
    host: args.host,
    port: Number(args.port),
    assets: makeAssetServer(config.assets),
    python,
    log,
    crons: config.crons,
  });
  const address = server.address();
  log.info(
    `${config.name}: Python ${python.startupMs.toFixed(0)} ms, ready in ${(performance.now() - started).toFixed(0)} ms`,
  );
  log.info(`offline runtime listening on http://${address.address}:${address.port}`);
  if (config.crons.length) {
    log.info(`crons ${config.crons.join(", ")}: fire one with GET /cdn-cgi/handler/scheduled?cron=<expression>`);
  }

  const stop = async () => {
    server.close();
    await services.dispose();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error) => {
  process.stderr.write(`offline runtime failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
