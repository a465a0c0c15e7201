// Replays D1 statements (JSON on stdin: [{sql, params}]) in order on a fresh D1 database in
// Miniflare's workerd with the project's migrations applied, and prints each statement's meta
// (rows_read, rows_written) as JSON: D1's own accounting, for loadtest/costs.py.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const here = path.dirname(fileURLToPath(import.meta.url));
const migrations = path.join(here, "..", "migrations");

const WORKER = `
export default {
  async fetch(request, env) {
    const { exec, statements } = await request.json();
    if (exec) {
      await env.DB.exec(exec);
      return Response.json([]);
    }
    const metas = [];
    for (const { sql, params } of statements) {
      const { meta } = await env.DB.prepare(sql).bind(...params).run();
      metas.push({ rows_read: meta.rows_read, rows_written: meta.rows_written });
    }
    return Response.json(metas);
  },
};
`;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const statements = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const mf = new Miniflare({ modules: true, script: WORKER, compatibilityDate: "2026-04-25", d1Databases: ["DB"] });
try {
  const post = async (body) =>
    (await mf.dispatchFetch("http://d1/", { method: "POST", body: JSON.stringify(body) })).json();
  for (const file of readdirSync(migrations)
    .filter((name) => name.endsWith(".sql"))
    .sort()) {
    // D1's exec() takes one statement per line: fold each statement onto one line.
    const sql = readFileSync(path.join(migrations, file), "utf8")
      .split("\n")
      .filter((line) => !line.trim().startsWith("--"))
      .join(" ")
      .split(";")
      .map((statement) => statement.replace(/\s+/g, " ").trim())
      .filter(Boolean)
      .join(";\n");
    await post({ exec: `${sql};` });
  }
  process.stdout.write(JSON.stringify(await post({ statements })));
} finally {
  await mf.dispose();
}
