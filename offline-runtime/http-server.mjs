// The HTTP front of the offline runtime: static assets as configured, everything else to the
// Python Worker's fetch handler as a WHATWG Request with a streamed body. Requests reach the
// Worker as they would through Cloudflare's edge and workerd: the URL is the Host plus the
// request target as sent (`//evil/api/health` stays a path), header values are text decoded
// from UTF-8, and no request, however malformed, can stop the runtime.
import http from "node:http";
import { Readable } from "node:stream";
import { runScheduled, SCHEDULED_PATH } from "./scheduled.mjs";

// Cloudflare's limits (Workers "Request limits"): the edge refuses these before a Worker runs.
export const PLATFORM_MAX_BODY_BYTES = 100 * 1024 * 1024; // Free/Pro plans
export const PLATFORM_MAX_URL_BYTES = 16 * 1024;
export const PLATFORM_MAX_HEADER_BYTES = 16 * 1024; // each header
export const PLATFORM_MAX_HEADERS_BYTES = 32 * 1024; // all of them

// Methods a WHATWG Request cannot be built with (Fetch's forbidden methods) that workerd still
// hands to a Worker. Checked on workerd 1.20260426: TRACE reaches the Worker; TRACK and CONNECT
// never do (a 501 and a 500 from workerd; here Node's parser answers 400 and closes).
const FORWARDED_FORBIDDEN_METHODS = new Set(["TRACE"]);

/** A request the platform answers itself, before any Worker code runs. */
export class PlatformRefusal extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Node hands header values and the request target as Latin-1 code points, one per byte;
 * workerd decodes them as UTF-8, with U+FFFD for each invalid sequence. */
export function utf8Text(latin1) {
  return Buffer.from(latin1, "latin1").toString("utf8");
}

/**
 * The URL of a request as workerd builds it: `http://` + Host + the request target, parsed as
 * a WHATWG URL. Throws PlatformRefusal(400) for a Host that is not host[:port] or a target that
 * is not origin-form (`/…`), and 414 for a target over the platform's URL limit.
 */
export function requestUrl(target, hostHeader) {
  if (Buffer.byteLength(target, "latin1") > PLATFORM_MAX_URL_BYTES) {
    throw new PlatformRefusal(414, "URI Too Long");
  }
  if (!target.startsWith("/")) throw new PlatformRefusal(400, "the request target must start with /");
  if (!hostHeader) throw new PlatformRefusal(400, "no Host header");
  let origin;
  try {
    origin = new URL(`http://${hostHeader}`);
  } catch {
    throw new PlatformRefusal(400, "malformed Host header");
  }
  const plainHost = origin.pathname === "/" && !origin.search && !origin.hash && !origin.username && !origin.password;
  if (!plainHost || /[/?#@\\\s]/.test(hostHeader)) throw new PlatformRefusal(400, "malformed Host header");
  try {
    return new URL(`${origin.origin}${utf8Text(target)}`);
  } catch {
    throw new PlatformRefusal(400, "malformed request target");
  }
}

/** The request's headers as sent (one Latin-1 code point per byte); throws PlatformRefusal(431)
 * beyond the platform's limits. */
export function requestHeaders(rawHeaders) {
  const headers = new Headers();
  let total = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const size = Buffer.byteLength(rawHeaders[i], "latin1") + Buffer.byteLength(rawHeaders[i + 1], "latin1");
    total += size;
    if (size > PLATFORM_MAX_HEADER_BYTES || total > PLATFORM_MAX_HEADERS_BYTES) {
      throw new PlatformRefusal(431, "Request Header Fields Too Large");
    }
    headers.append(rawHeaders[i], rawHeaders[i + 1]);
  }
  return headers;
}

/**
 * Headers as a Worker on workerd reads them: values are UTF-8 text. Node's Headers holds only
 * byte strings (a value with a code point over 255 is a TypeError), so the bytes stay as they
 * came and every read decodes them.
 */
export class WorkerdHeaders extends Headers {
  get(name) {
    const value = super.get(name);
    return value === null ? null : utf8Text(value);
  }

  getSetCookie() {
    return super.getSetCookie().map(utf8Text);
  }

  *entries() {
    for (const [name, value] of super.entries()) yield [name, utf8Text(value)];
  }

  *values() {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  [Symbol.iterator]() {
    return this.entries();
  }
}

/**
 * `requestSignal`: the compatibility flag enable_request_signal is set, so a request's signal is
 * aborted when its client disconnects before the response is complete, as workerd does.
 */
export function startHttpServer({ host, port, assets, python, log, crons = [], requestSignal = false }) {
  const server = http.createServer(
    // Node answers 431 for more than this before the handler runs (and 400 for a request it
    // cannot parse); the platform's finer limits are checked below.
    { maxHeaderSize: PLATFORM_MAX_HEADERS_BYTES + PLATFORM_MAX_URL_BYTES },
    async (req, res) => {
      const started = performance.now();
      let status = 500;
      let shown = req.url.slice(0, 200);
      try {
        const url = requestUrl(req.url, req.headers.host);
        shown = url.pathname + url.search;
        const headers = requestHeaders(req.rawHeaders);
        if (url.pathname === SCHEDULED_PATH) {
          const cron = await runScheduled(url, crons, python);
          status = 200;
          res.writeHead(200, { "content-type": "text/plain" }).end(`Ran scheduled event for "${cron}"\n`);
          return;
        }
        if ((req.method === "GET" || req.method === "HEAD") && !assets.workerFirst(url.pathname)) {
          const asset = assets.lookup(url.pathname);
          if (asset) {
            status = req.headers["if-none-match"] === asset.etag ? 304 : 200;
            res.writeHead(status, {
              "content-type": asset.contentType,
              etag: asset.etag,
              "cache-control": "public, max-age=0, must-revalidate",
              ...asset.headers,
            });
            res.end(status === 200 && req.method === "GET" ? asset.body : undefined);
            return;
          }
        }
        const length = Number(req.headers["content-length"] ?? 0);
        if (length > PLATFORM_MAX_BODY_BYTES) throw new PlatformRefusal(413, "Request Entity Too Large");
        const response = await python.fetch(toWebRequest(req, url, headers, requestSignal ? clientGone(res) : null));
        status = response.status;
        await writeWebResponse(res, response, req.method === "HEAD");
      } catch (error) {
        if (error instanceof PlatformRefusal) {
          status = error.status;
          if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain", connection: "close" });
          res.end(`${status} ${error.message}\n`);
          req.resume();
          return;
        }
        status = 500;
        log.error(`${req.method} ${shown}: the Worker threw`, error);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal Server Error");
      } finally {
        log.request(req.method, shown, status, performance.now() - started);
      }
    },
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** An AbortSignal aborted when the client goes away before the response is complete. */
export function clientGone(res) {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new DOMException("the client disconnected", "AbortError"));
  });
  return controller.signal;
}

/** The WHATWG Request the Worker receives; `signal` (or null) is its Request.signal. */
export function toWebRequest(req, url, headers, signal = null) {
  const hasBody = !(req.method === "GET" || req.method === "HEAD" || req.method === "TRACE");
  const forbidden = FORWARDED_FORBIDDEN_METHODS.has(req.method);
  const request = new Request(url, {
    method: forbidden ? "GET" : req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: hasBody ? "half" : undefined,
    signal: signal ?? undefined,
  });
  // Node's Request refuses TRACE outright; workerd gives it to the Worker, whose router answers
  // it as any method a route does not allow.
  if (forbidden) Object.defineProperty(request, "method", { value: req.method });
  Object.defineProperty(request, "headers", { value: new WorkerdHeaders(request.headers) });
  return request;
}

async function writeWebResponse(res, response, isHead) {
  const headers = {};
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (isHead || response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}
