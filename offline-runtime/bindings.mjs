// Node-side stand-ins for the Worker's bindings. Each call is forwarded to the gateway Worker
// inside Miniflare, which runs it on the real D1 / R2 / Queue implementation.
// Class names matter: the `workers` SDK recognises bindings by `constructor.name`
// (D1Database, R2Bucket, WorkerQueue, Ratelimit) and wraps them so that Python gets Python values.
// Each takes a FaultInjector (faults.mjs): tests make chosen calls fail through it.
import { NO_FAULTS } from "./faults.mjs";

/** Sends one binding operation to the gateway Worker; `call(path, init)` returns a Response. */
export class Gateway {
  constructor(dispatch) {
    this.dispatch = dispatch;
  }

  async json(path, op) {
    const response = await this.dispatch(path, { method: "POST", body: JSON.stringify(op) });
    const value = await response.json();
    if (response.status >= 400) throw bindingError(value.error);
    return value;
  }
}

function bindingError(error) {
  const e = new Error(typeof error === "string" ? error : (error?.message ?? "binding error"));
  if (error?.name) e.name = error.name === "Error" ? "Error" : error.name;
  return e;
}

// ---------------------------------------------------------------------------------- D1

export class D1Database {
  constructor(gateway, binding, faults = NO_FAULTS) {
    this.gateway = gateway;
    this.binding = binding;
    this.path = `/d1/${encodeURIComponent(binding)}`;
    this.faults = faults;
  }

  prepare(sql) {
    return new D1PreparedStatement(this, sql, []);
  }

  /** D1's batch: one transaction. A fault on any of its statements is the whole batch's, as on
   * D1 (`query`: none of them runs; `reply`: all of them run and the reply is lost). */
  async batch(statements) {
    const sql = statements.map((s) => s.sql).join(";\n");
    const failure = (what) => () => new Error(`D1_ERROR: injected fault: ${what}`);
    const ran = await this.faults.apply(this.binding, "query", sql, failure("the database is unavailable"));
    const result = await this.gateway.json(this.path, {
      method: "batch",
      statements: statements.map((s) => s.toJSON()),
    });
    ran?.();
    (await this.faults.apply(this.binding, "reply", sql, failure("the reply was lost (the batch ran)")))?.();
    return result;
  }

  exec(sql) {
    return this.gateway.json(this.path, { method: "exec", sql });
  }

  dump() {
    throw new Error("D1Database.dump() is not supported by the offline runtime");
  }
}

export class D1PreparedStatement {
  constructor(database, sql, params) {
    this.database = database;
    this.sql = sql;
    this.params = params;
  }

  bind(...params) {
    return new D1PreparedStatement(this.database, this.sql, params.map(d1Value));
  }

  toJSON() {
    return { sql: this.sql, params: this.params };
  }

  async #send(op) {
    const { binding, faults, gateway, path } = this.database;
    const failure = (what) => () => new Error(`D1_ERROR: injected fault: ${what}`);
    const ran = await faults.apply(binding, "query", this.sql, failure("the database is unavailable"));
    const result = await gateway.json(path, { ...op, statement: this.toJSON() });
    ran?.();
    (await faults.apply(binding, "reply", this.sql, failure("the reply was lost (the statement ran)")))?.();
    return result;
  }

  run() {
    return this.#send({ method: "run" });
  }

  all() {
    return this.#send({ method: "all" });
  }

  first(column) {
    return this.#send({ method: "first", column });
  }

  raw(options = {}) {
    return this.#send({ method: "raw", columnNames: options.columnNames });
  }
}

function d1Value(value) {
  // D1 accepts null, numbers, strings, booleans (as 0/1) and ArrayBuffers; undefined is an error
  // in workerd ("D1_TYPE_ERROR"), so it is one here too.
  if (value === undefined) throw new TypeError("D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'");
  if (typeof value === "boolean") return value ? 1 : 0;
  // workerd's D1 refuses BigInt (what Pyodide passes for Python ints beyond 2**53).
  if (typeof value === "bigint") throw new TypeError(`D1_TYPE_ERROR: Type 'bigint' not supported for value '${value}'`);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new TypeError("the offline runtime does not bind BLOB parameters");
  }
  return value;
}

// ---------------------------------------------------------------------------------- R2

export class R2Bucket {
  constructor(gateway, binding, faults = NO_FAULTS) {
    this.gateway = gateway;
    this.binding = binding;
    this.path = `/r2/${encodeURIComponent(binding)}/`;
    this.faults = faults;
  }

  /** Injected faults of `method` (faults.mjs); resolves to what to run after the call, or null. */
  #fault(method, key) {
    return this.faults.apply(
      this.binding,
      method,
      key,
      () => new Error(`injected fault: R2 ${method}(${key}) is unavailable`),
    );
  }

  #url(key) {
    return this.path + encodeURIComponent(key);
  }

  async put(key, value, options = {}) {
    const done = await this.#fault("put", key);
    const body = await bodyBytes(value);
    const response = await this.gateway.dispatch(this.#url(key), {
      method: "PUT",
      body,
      headers: { "x-r2-options": JSON.stringify(plainR2Options(options)) },
    });
    const meta = await response.json();
    done?.();
    if (response.status >= 400) throw bindingError(meta.error);
    return meta === null ? null : new R2Object(meta);
  }

  async get(key, options = {}) {
    const done = await this.#fault("get", key);
    const object = await this.#get(key, options);
    done?.();
    return object;
  }

  async #get(key, options) {
    const response = await this.gateway.dispatch(this.#url(key), {
      method: "GET",
      headers: { "x-r2-options": JSON.stringify(options ?? {}) },
    });
    if (response.status === 404) {
      await response.arrayBuffer();
      return null;
    }
    if (response.status >= 400) throw bindingError((await response.json()).error);
    const meta = JSON.parse(response.headers.get("x-r2-object"));
    return new R2ObjectBody(meta, new Uint8Array(await response.arrayBuffer()));
  }

  async head(key) {
    const response = await this.gateway.dispatch(this.#url(key), { method: "HEAD" });
    if (response.status === 404) return null;
    return new R2Object(JSON.parse(response.headers.get("x-r2-object")));
  }

  async delete(keys) {
    const list = Array.isArray(keys) ? keys : [keys];
    const done = [];
    for (const key of list) done.push(await this.#fault("delete", key));
    const response = await this.gateway.dispatch(`${this.path}_`, {
      method: "DELETE",
      headers: { "x-r2-options": JSON.stringify({ keys: list }) },
    });
    const value = await response.json();
    for (const after of done) after?.();
    if (response.status >= 400) throw bindingError(value.error);
  }

  async list(options = {}) {
    const response = await this.gateway.dispatch(this.path, {
      method: "POST",
      headers: { "x-r2-options": JSON.stringify(options ?? {}) },
    });
    const value = await response.json();
    if (response.status >= 400) throw bindingError(value.error);
    return { ...value, objects: value.objects.map((o) => new R2Object(o)) };
  }
}

function plainR2Options(options) {
  const out = {};
  for (const name of ["httpMetadata", "customMetadata", "onlyIf", "md5", "sha1", "sha256", "storageClass"]) {
    if (options?.[name] !== undefined && options[name] !== null) out[name] = options[name];
  }
  return out;
}

async function bodyBytes(value) {
  if (value === null || value === undefined) return new Uint8Array(0);
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  if (typeof value.arrayBuffer === "function") return new Uint8Array(await value.arrayBuffer());
  throw new TypeError("R2 put() needs a string, ArrayBuffer, ArrayBufferView, Blob or ReadableStream");
}

export class R2Object {
  constructor(meta) {
    this.key = meta.key;
    this.version = meta.version;
    this.size = meta.size;
    this.etag = meta.etag;
    this.httpEtag = meta.httpEtag;
    this.uploaded = new Date(meta.uploaded);
    this.httpMetadata = meta.httpMetadata ?? {};
    this.customMetadata = meta.customMetadata ?? {};
    this.checksums = meta.checksums ?? {};
    this.storageClass = "Standard";
  }

  writeHttpMetadata(headers) {
    const m = this.httpMetadata;
    const names = {
      contentType: "content-type",
      contentLanguage: "content-language",
      contentDisposition: "content-disposition",
      contentEncoding: "content-encoding",
      cacheControl: "cache-control",
    };
    for (const [field, header] of Object.entries(names)) if (m[field]) headers.set(header, m[field]);
    if (m.cacheExpiry) headers.set("expires", new Date(m.cacheExpiry).toUTCString());
  }
}

export class R2ObjectBody extends R2Object {
  #bytes;
  #used = false;

  constructor(meta, bytes) {
    super(meta);
    this.#bytes = bytes;
  }

  #take() {
    // As in workerd, a body can be read once.
    if (this.#used) throw new TypeError("Body has already been used. It can only be used once.");
    this.#used = true;
    return this.#bytes;
  }

  get bodyUsed() {
    return this.#used;
  }

  get body() {
    return new Blob([this.#take()]).stream();
  }

  async arrayBuffer() {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }

  async bytes() {
    return this.#take();
  }

  async text() {
    return new TextDecoder().decode(this.#take());
  }

  async json() {
    return JSON.parse(await this.text());
  }

  async blob() {
    return new Blob([this.#take()], { type: this.httpMetadata.contentType ?? "" });
  }
}

// ---------------------------------------------------------------------------------- Queues

export class WorkerQueue {
  constructor(gateway, binding, faults = NO_FAULTS) {
    this.gateway = gateway;
    this.binding = binding;
    this.path = `/queue/${encodeURIComponent(binding)}`;
    this.faults = faults;
  }

  /** The messages that survive the injected faults: a refused one fails the whole call. */
  async #deliverable(bodies) {
    for (const body of bodies) {
      const after = await this.faults.apply(
        this.binding,
        "send",
        JSON.stringify(body),
        () => new Error("injected fault: the queue refused the message"),
      );
      after?.();
    }
    return bodies.map((body) => !this.faults.take(this.binding, "drop", JSON.stringify(body)));
  }

  async send(body, options = {}) {
    const plain = queueBody(body);
    const [keep] = await this.#deliverable([plain]);
    if (keep) await this.gateway.json(this.path, { method: "send", body: plain, options: options ?? {} });
  }

  async sendBatch(messages, options = {}) {
    const plain = [...messages].map((m) => ({ ...m, body: queueBody(m.body) }));
    const keep = await this.#deliverable(plain.map((m) => m.body));
    const kept = plain.filter((_, i) => keep[i]);
    if (kept.length)
      await this.gateway.json(this.path, { method: "sendBatch", messages: kept, options: options ?? {} });
  }
}

function queueBody(body) {
  // Bodies cross to the gateway as JSON; workerd also accepts any structured-cloneable value.
  const text = JSON.stringify(body);
  if (text === undefined) throw new TypeError("the offline runtime sends JSON queue bodies only");
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------- Rate limiting

/** The Rate Limiting binding: `limit({ key })` resolves to `{ success }` (workerd's class name). */
export class Ratelimit {
  constructor(gateway, binding, faults = NO_FAULTS) {
    this.gateway = gateway;
    this.binding = binding;
    this.path = `/ratelimit/${encodeURIComponent(binding)}`;
    this.faults = faults;
  }

  async limit(options) {
    const key = options?.key;
    if (typeof key !== "string") throw new TypeError("limit() needs { key: string }");
    const after = await this.faults.apply(
      this.binding,
      "limit",
      key,
      () => new Error("injected fault: the rate limiter is unavailable"),
    );
    const outcome = await this.gateway.json(this.path, { key });
    after?.();
    return { success: outcome.success === true };
  }
}
