// Reads wrangler.jsonc, the single source of truth for bindings, queues and variables,
// and turns it into the plain description the rest of the offline runtime uses.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Parse JSON with comments and trailing commas (the JSONC dialect wrangler accepts). */
export function parseJsonc(text) {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Copy a string literal verbatim, honouring escapes.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError("unterminated /* comment in JSONC");
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // Trailing commas before } or ] (strings are already intact, and a comma inside a
  // string is never followed only by whitespace and a closing bracket outside it).
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
}

/**
 * Load the Worker's configuration. `envName` selects an `env.<name>` section, merged over the
 * top level the way wrangler does for the keys this runtime uses (vars and bindings are not
 * inherited by wrangler environments, so a section replaces them whole).
 */
export function loadWranglerConfig(configPath, { envName } = {}) {
  const root = path.dirname(path.resolve(configPath));
  const raw = parseJsonc(readFileSync(configPath, "utf8"));
  let cfg = raw;
  if (envName) {
    const section = raw.env?.[envName];
    if (!section) throw new Error(`wrangler.jsonc has no env.${envName} section`);
    cfg = { ...raw, ...section };
  }
  if (!cfg.main?.endsWith(".py")) throw new Error("wrangler.jsonc: main must be a .py file");
  if (!(cfg.compatibility_flags ?? []).includes("python_workers")) {
    throw new Error('wrangler.jsonc: compatibility_flags must include "python_workers"');
  }
  const queues = cfg.queues ?? {};
  return {
    root,
    name: cfg.name,
    mainModule: path.resolve(root, cfg.main),
    compatibilityDate: cfg.compatibility_date,
    compatibilityFlags: cfg.compatibility_flags ?? [],
    vars: cfg.vars ?? {},
    d1Databases: (cfg.d1_databases ?? []).map((d) => ({
      binding: d.binding,
      databaseName: d.database_name,
      databaseId: d.database_id,
      migrationsDir: path.resolve(root, d.migrations_dir ?? "migrations"),
    })),
    r2Buckets: (cfg.r2_buckets ?? []).map((b) => ({ binding: b.binding, bucketName: b.bucket_name })),
    queueProducers: (queues.producers ?? []).map((p) => ({ binding: p.binding, queue: p.queue })),
    queueConsumers: (queues.consumers ?? []).map((c) => ({
      queue: c.queue,
      maxBatchSize: c.max_batch_size,
      maxBatchTimeout: c.max_batch_timeout,
      maxRetries: c.max_retries,
      deadLetterQueue: c.dead_letter_queue,
      retryDelay: c.retry_delay,
      // Read but not applied: Miniflare's broker delivers one batch at a time per queue.
      maxConcurrency: c.max_concurrency,
    })),
    rateLimits: (cfg.ratelimits ?? []).map((r) => ({
      binding: r.name,
      namespaceId: r.namespace_id,
      limit: r.simple?.limit,
      period: r.simple?.period,
    })),
    crons: cfg.triggers?.crons ?? [],
    assets: cfg.assets
      ? {
          directory: path.resolve(root, cfg.assets.directory),
          binding: cfg.assets.binding,
          runWorkerFirst: cfg.assets.run_worker_first ?? false,
          htmlHandling: cfg.assets.html_handling ?? "auto-trailing-slash",
          notFoundHandling: cfg.assets.not_found_handling ?? "none",
        }
      : null,
  };
}

/** Reads a .dev.vars file (KEY=VALUE lines), as `wrangler dev` does for local-only variables. */
export function readDevVars(file) {
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!match) continue;
    const [, name, raw] = match;
    const quoted = raw.match(/^(["'])(.*)\1$/);
    if (quoted) vars[name] = quoted[1] === '"' ? quoted[2].replace(/\\n/g, "\n") : quoted[2];
    else vars[name] = raw.replace(/\s+#.*$/, "");
  }
  return vars;
}

/**
 * Applies `--ratelimit NAME=LIMIT/PERIOD` overrides (tests and load runs that need bursts) to the
 * rate limiting bindings of wrangler.jsonc; the platform's periods are 10 and 60 seconds.
 */
export function overrideRateLimits(rateLimits, overrides) {
  const byName = new Map(rateLimits.map((r) => [r.binding, { ...r }]));
  for (const item of overrides) {
    const match = item.match(/^([A-Za-z_][A-Za-z0-9_]*)=([0-9]{1,9})\/(10|60)$/);
    if (!match) throw new Error(`--ratelimit expects NAME=LIMIT/PERIOD with PERIOD 10 or 60, got ${item}`);
    const [, name, limit, period] = match;
    const binding = byName.get(name);
    if (!binding) throw new Error(`--ratelimit ${item}: wrangler.jsonc has no ratelimits binding ${name}`);
    if (Number(limit) < 1) throw new Error(`--ratelimit ${item}: LIMIT must be at least 1`);
    Object.assign(binding, { limit: Number(limit), period: Number(period) });
  }
  return [...byName.values()];
}
