import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import {
  PLATFORM_MAX_HEADER_BYTES,
  PLATFORM_MAX_URL_BYTES,
  PlatformRefusal,
  requestHeaders,
  requestUrl,
  startHttpServer,
  toWebRequest,
  utf8Text,
} from "../http-server.mjs";

test("the URL is the Host plus the target as sent: //evil/api/health stays a path", () => {
  assert.equal(requestUrl("//evil/api/health", "127.0.0.1:8787").pathname, "//evil/api/health");
  assert.equal(requestUrl("//evil/api/health", "127.0.0.1:8787").host, "127.0.0.1:8787");
  assert.equal(requestUrl("//[", "localhost").pathname, "//[");
  assert.equal(requestUrl("/a/../api/health?x=%zz", "localhost").href, "http://localhost/api/health?x=%zz");
  assert.equal(requestUrl("/api/%2e%2e/x", "localhost").pathname, "/x");
  assert.equal(requestUrl("/", "[::1]:8787").host, "[::1]:8787");
});

test("a malformed Host or request target is a 400, an overlong target a 414", () => {
  const refusal = (target, host) => {
    try {
      requestUrl(target, host);
    } catch (error) {
      assert.ok(error instanceof PlatformRefusal, error);
      return error.status;
    }
    return "accepted";
  };
  for (const host of ["x:99999", "[::1", "", undefined, "evil.example/path", "a@b", "a b", "x?y", "x#y", "x\\y"]) {
    assert.equal(refusal("/api/health", host), 400, `Host: ${host}`);
  }
  assert.equal(refusal("http://other.example/api/health", "localhost"), 400);
  assert.equal(refusal("*", "localhost"), 400);
  assert.equal(refusal(`/${"a".repeat(PLATFORM_MAX_URL_BYTES - 1)}`, "localhost"), "accepted");
  assert.equal(refusal(`/${"a".repeat(PLATFORM_MAX_URL_BYTES)}`, "localhost"), 414);
});

test("header values and the target are decoded from UTF-8 as workerd does", () => {
  assert.equal(utf8Text(Buffer.from("José@example.com").toString("latin1")), "José@example.com");
  assert.equal(utf8Text("jos\xe9@example.com"), "jos\ufffd@example.com");
  assert.equal(utf8Text("\xff\xfe@x"), "\ufffd\ufffd@x");
  const sent = (value) => ["X-Dev-User", Buffer.from(value).toString("latin1")];
  const request = (...pairs) =>
    toWebRequest({ method: "GET" }, new URL("http://localhost/"), requestHeaders(pairs.flat()));
  assert.equal(request(sent("José@example.com")).headers.get("x-dev-user"), "José@example.com");
  assert.equal(request(sent("日本@example.com")).headers.get("x-dev-user"), "日本@example.com");
  assert.equal(request(["X-Dev-User", "jos\xe9@x"]).headers.get("x-dev-user"), "jos\ufffd@x");
  assert.deepEqual(
    [...request(sent("é@x"), ["A", "b"]).headers],
    [
      ["a", "b"],
      ["x-dev-user", "é@x"],
    ],
  );
  assert.equal(requestUrl(Buffer.from("/api/é").toString("latin1"), "localhost").pathname, "/api/%C3%A9");
});

test("headers beyond the platform's limits are a 431", () => {
  const fits = ["X-A", "a".repeat(PLATFORM_MAX_HEADER_BYTES - 3)];
  assert.equal(requestHeaders(fits).get("x-a").length, PLATFORM_MAX_HEADER_BYTES - 3);
  assert.throws(() => requestHeaders(["X-A", "a".repeat(PLATFORM_MAX_HEADER_BYTES - 2)]), { status: 431 });
  const many = Array.from({ length: 3 }, (_, i) => [`X-${i}`, "a".repeat(PLATFORM_MAX_HEADER_BYTES - 3)]).flat();
  assert.throws(() => requestHeaders(many), { status: 431 });
});

test("TRACE reaches the Worker as TRACE (a WHATWG Request alone would refuse it)", () => {
  const request = toWebRequest({ method: "TRACE" }, new URL("http://localhost/api/health"), new Headers());
  assert.equal(request.method, "TRACE");
  assert.equal(request.constructor.name, "Request");
  assert.equal(request.body, null);
});

// --- the server itself, with a stand-in for Python that echoes what it was given ----------

let server;
let port;
const seen = [];

before(async () => {
  const python = {
    async fetch(request) {
      seen.push({ method: request.method, url: request.url, user: request.headers.get("x-dev-user") });
      if (request.headers.get("x-throw")) throw new Error("the Worker failed");
      return Response.json({ method: request.method, pathname: new URL(request.url).pathname });
    },
  };
  const assets = { workerFirst: () => true, lookup: () => null };
  const log = { request() {}, error() {}, info() {} };
  server = await startHttpServer({ host: "127.0.0.1", port: 0, assets, python, log });
  port = server.address().port;
});

after(() => server.close());

function raw(bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(bytes));
    const chunks = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

const request = (line, headers = "Host: localhost\r\n") => raw(`${line}\r\n${headers}Connection: close\r\n\r\n`);
const statusOf = (response) => Number(response.split(" ")[1]);

test("no malformed request stops the server, and the Worker sees paths as workerd gives them", async () => {
  const cases = [
    [request("GET /api/health HTTP/1.1", "Host: x:99999\r\n"), 400],
    [request("GET /api/health HTTP/1.1", "Host: [::1\r\n"), 400],
    [request("GET /api/health HTTP/1.1", "Host: evil.example/x\r\n"), 400],
    [request("GET http://other.example/api/health HTTP/1.1"), 400],
    [request("GET * HTTP/1.1"), 400],
    [request("GET //[ HTTP/1.1"), 200],
    [request("TRACK /api/health HTTP/1.1"), 400],
    [request("CONNECT localhost:443 HTTP/1.1"), Number.NaN], // the socket is closed, unanswered
    [request("GET /api/health HTTP/1.1", "Host: localhost\r\nX-Throw: 1\r\n"), 500],
    [request(`GET /${"a".repeat(PLATFORM_MAX_URL_BYTES)} HTTP/1.1`), 414],
    [
      request("GET /api/health HTTP/1.1", `Host: localhost\r\nX-Big: ${"a".repeat(PLATFORM_MAX_HEADER_BYTES)}\r\n`),
      431,
    ],
    [raw("NOT A REQUEST\r\n\r\n"), 400],
  ];
  for (const [pending, expected] of cases) assert.deepEqual(statusOf(await pending), expected);
  const evil = await request("GET //evil/api/health HTTP/1.1");
  assert.match(evil, /"pathname":"\/\/evil\/api\/health"/);
  const trace = await request("TRACE /api/health HTTP/1.1");
  assert.match(trace, /"method":"TRACE"/);
  // What the Worker sees of X-Dev-User bytes: UTF-8 text, U+FFFD for bytes that are not UTF-8.
  const sent = [
    [Buffer.from("José@x.com"), "José@x.com"],
    [Buffer.from("日本@x.com"), "日本@x.com"],
    [Buffer.from("jos\xe9@x.com", "latin1"), "jos\ufffd@x.com"],
  ];
  for (const [bytes, text] of sent) {
    const head = Buffer.from("GET /api/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Dev-User: ");
    assert.equal(statusOf(await raw(Buffer.concat([head, bytes, Buffer.from("\r\n\r\n")]))), 200);
    assert.equal(seen.at(-1).user, text);
  }
  assert.equal(statusOf(await request("GET /api/health HTTP/1.1")), 200);
});
