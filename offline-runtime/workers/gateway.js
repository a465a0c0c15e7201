// Runs inside Miniflare (real workerd). Executes binding operations that the Node side of the
// offline runtime sends as small HTTP requests, on the real D1, R2, Queue and rate limiting
// bindings.
// One request = one binding operation; bindings are addressed by their wrangler.jsonc name.

const json = (value, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

function r2ObjectJson(object) {
  if (object === null) return null;
  return {
    key: object.key,
    version: object.version,
    size: object.size,
    etag: object.etag,
    httpEtag: object.httpEtag,
    uploaded: object.uploaded.toISOString(),
    httpMetadata: object.httpMetadata ?? {},
    customMetadata: object.customMetadata ?? {},
    checksums: object.checksums?.toJSON ? object.checksums.toJSON() : {},
  };
}

async function d1(db, op) {
  const prepare = ({ sql, params }) => db.prepare(sql).bind(...(params ?? []));
  switch (op.method) {
    case "run":
      return prepare(op.statement).run();
    case "all":
      return prepare(op.statement).all();
    case "first":
      return op.column === undefined ? prepare(op.statement).first() : prepare(op.statement).first(op.column);
    case "raw":
      return prepare(op.statement).raw({ columnNames: Boolean(op.columnNames) });
    case "batch":
      return db.batch(op.statements.map(prepare));
    case "exec":
      return db.exec(op.sql);
    default:
      throw new Error(`unknown D1 operation ${op.method}`);
  }
}

async function r2(bucket, request, key) {
  const options = JSON.parse(request.headers.get("x-r2-options") || "{}");
  switch (request.method) {
    case "PUT":
      return json(r2ObjectJson(await bucket.put(key, await request.arrayBuffer(), options)));
    case "GET": {
      const object = await bucket.get(key, options);
      if (object === null) return json(null, 404);
      const headers = { "x-r2-object": JSON.stringify(r2ObjectJson(object)) };
      return new Response("body" in object ? object.body : null, { headers });
    }
    case "HEAD": {
      const object = await bucket.head(key);
      return new Response(null, {
        status: object === null ? 404 : 200,
        headers: object === null ? {} : { "x-r2-object": JSON.stringify(r2ObjectJson(object)) },
      });
    }
    case "DELETE":
      await bucket.delete(options.keys ?? key);
      return json(null);
    case "POST": {
      // list
      const listed = await bucket.list(options);
      return json({ ...listed, objects: listed.objects.map(r2ObjectJson) });
    }
    default:
      return json({ error: `unsupported R2 method ${request.method}` }, 405);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, binding, ...rest] = url.pathname.split("/");
    const target = env[decodeURIComponent(binding ?? "")];
    if (!target) return json({ error: `no binding named ${binding}` }, 404);
    try {
      if (kind === "d1") return json(await d1(target, await request.json()));
      if (kind === "r2") return await r2(target, request, decodeURIComponent(rest.join("/")));
      if (kind === "ratelimit") {
        const { key } = await request.json();
        const outcome = await target.limit({ key });
        return json({ success: outcome.success });
      }
      if (kind === "queue") {
        const op = await request.json();
        if (op.method === "send") await target.send(op.body, op.options);
        else if (op.method === "sendBatch") await target.sendBatch(op.messages, op.options);
        else return json({ error: `unknown queue operation ${op.method}` }, 400);
        return json(null);
      }
      return json({ error: `unknown binding kind ${kind}` }, 404);
    } catch (error) {
      return json({ error: { name: error.name, message: String(error.message ?? error) } }, 500);
    }
  },
};
