// The Miniflare side of the offline runtime: real workerd implementations of D1, R2, Queues
// and the Rate Limiting binding, configured from wrangler.jsonc, with two small Workers of ours inside it — the
// gateway that runs binding operations, and the consumer that hands batches to Python.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const here = path.dirname(fileURLToPath(import.meta.url));
const script = (name) => readFileSync(path.join(here, "workers", name), "utf8");

export async function startServices({ config, persistRoot, queueHost }) {
  const compatibilityDate = config.compatibilityDate;
  const mf = new Miniflare({
    defaultPersistRoot: persistRoot,
    log: undefined,
    workers: [
      {
        name: "gateway",
        modules: true,
        script: script("gateway.js"),
        compatibilityDate,
        d1Databases: Object.fromEntries(config.d1Databases.map((d) => [d.binding, d.databaseId])),
        r2Buckets: Object.fromEntries(config.r2Buckets.map((b) => [b.binding, b.bucketName])),
        queueProducers: Object.fromEntries(config.queueProducers.map((p) => [p.binding, { queueName: p.queue }])),
        // Miniflare's rate limiter: a fixed window of `period` seconds counted in memory.
        ratelimits: Object.fromEntries(
          config.rateLimits.map((r) => [r.binding, { simple: { limit: r.limit, period: r.period } }]),
        ),
      },
      {
        name: "consumer",
        modules: true,
        script: script("consumer.js"),
        compatibilityDate,
        serviceBindings: { HOST: queueHost },
        queueConsumers: Object.fromEntries(
          config.queueConsumers.map((c) => [
            c.queue,
            {
              maxBatchSize: c.maxBatchSize,
              maxBatchTimeout: c.maxBatchTimeout,
              maxRetries: c.maxRetries,
              deadLetterQueue: c.deadLetterQueue,
              retryDelay: c.retryDelay,
            },
          ]),
        ),
      },
    ],
  });
  await mf.ready;
  const dispatch = (pathname, init) => mf.dispatchFetch(`http://gateway${pathname}`, init);
  return { mf, dispatch, dispose: () => mf.dispose() };
}

/**
 * Applies the D1 migrations that are not yet applied, tracked in `d1_migrations` exactly as
 * `wrangler d1 migrations apply` tracks them, so both tools agree on a database's state.
 */
export async function applyMigrations(gateway, database, log) {
  const d1 = `/d1/${encodeURIComponent(database.binding)}`;
  await gateway.json(d1, {
    method: "exec",
    sql:
      "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, " +
      "name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);",
  });
  const applied = await gateway.json(d1, {
    method: "all",
    statement: { sql: "SELECT name FROM d1_migrations", params: [] },
  });
  const done = new Set(applied.results.map((r) => r.name));
  const files = readdirSync(database.migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = readFileSync(path.join(database.migrationsDir, file), "utf8");
    const statements = splitSql(sql).map((s) => ({ sql: s, params: [] }));
    statements.push({ sql: "INSERT INTO d1_migrations (name) VALUES (?)", params: [file] });
    await gateway.json(d1, { method: "batch", statements });
    log.info(`D1 ${database.binding}: applied migration ${file}`);
  }
}

/** Splits a migration into statements (semicolons outside quotes and comments). */
export function splitSql(sql) {
  const statements = [];
  let current = "";
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      current += "\n";
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      current += sql.slice(i, j + 1);
      i = j;
    } else if (c === ";") {
      if (current.trim()) statements.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
