// The HTTP front of the offline runtime: static assets as configured, everything else to the
// Python Worker's fetch handler as a WHATWG Request with a streamed body.
import http from "node:http";
import { Readable } from "node:stream";
import { runScheduled, SCHEDULED_PATH } from "./scheduled.mjs";

// Cloudflare's edge refuses larger request bodies (Free/Pro plans) before the Worker runs.
const PLATFORM_MAX_BODY_BYTES = 100 * 1024 * 1024;

export function startHttpServer({ host, port, assets, python, log, crons = [] }) {
  const server = http.createServer(async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url, `http://${req.headers.host ?? `${host}:${port}`}`);
    let status = 500;
    try {
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
      if (length > PLATFORM_MAX_BODY_BYTES) {
        status = 413;
        res.writeHead(413, { "content-type": "text/plain" }).end("413 Request Entity Too Large");
        req.resume();
        return;
      }
      const response = await python.fetch(toWebRequest(req, url));
      status = response.status;
      await writeWebResponse(res, response, req.method === "HEAD");
    } catch (error) {
      status = 500;
      log.error(`${req.method} ${url.pathname}: the Worker threw`, error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal Server Error");
    } finally {
      log.request(req.method, url.pathname + url.search, status, performance.now() - started);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function toWebRequest(req, url) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = !(req.method === "GET" || req.method === "HEAD");
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: hasBody ? "half" : undefined,
  });
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
