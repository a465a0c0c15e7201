// The offline runtime's parts of throttling and long-polling: the Rate Limiting binding read from
// wrangler.jsonc (and overridden for tests), the Node-side stand-in Python sees, its faults, and
// a request's signal aborted when its client leaves — as workerd does with enable_request_signal.
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { Gateway, Ratelimit } from "../bindings.mjs";
import { loadWranglerConfig, overrideRateLimits } from "../config.mjs";
import { FaultInjector, parseFaults } from "../faults.mjs";
import { startHttpServer } from "../http-server.mjs";

const project = loadWranglerConfig(path.join(import.meta.dirname, "..", "..", "wrangler.jsonc"));

test("wrangler.jsonc: the job creation limiter, the request signal flag and the consumer's concurrency", () => {
  assert.deepEqual(project.rateLimits, [
    { binding: "JOB_CREATION_LIMITER", namespaceId: "1001", limit: 60, period: 60 },
  ]);
  // The Worker's Retry-After is the limiter's period, which it can only learn from its variable.
  assert.equal(Number(project.vars.JOB_CREATION_PERIOD_SECONDS), project.rateLimits[0].period);
  assert.equal(project.vars.MAX_ACTIVE_JOBS_PER_USER, "50");
  assert.ok(project.compatibilityFlags.includes("enable_request_signal"));
  assert.equal(project.queueConsumers.find((c) => c.queue === "image-jobs").maxConcurrency, 10);
});

test("--ratelimit overrides one binding's limit and period; anything else is refused", () => {
  const [limiter] = overrideRateLimits(project.rateLimits, ["JOB_CREATION_LIMITER=3/10"]);
  assert.deepEqual([limiter.limit, limiter.period], [3, 10]);
  assert.equal(project.rateLimits[0].limit, 60, "the configuration read is left as it was");
  for (const bad of [
    "JOB_CREATION_LIMITER=3/30",
    "JOB_CREATION_LIMITER=0/10",
    "JOB_CREATION_LIMITER=３/10",
    "X=1/10",
  ]) {
    assert.throws(() => overrideRateLimits(project.rateLimits, [bad]), /--ratelimit/, bad);
  }
});

test("the stand-in carries workerd's class name and asks the gateway with the key alone", async () => {
  const asked = [];
  const gateway = new Gateway(async (pathname, init) => {
    asked.push([pathname, JSON.parse(init.body)]);
    return Response.json({ success: asked.length <= 1 });
  });
  const limiter = new Ratelimit(gateway, "JOB_CREATION_LIMITER");
  assert.equal(limiter.constructor.name, "Ratelimit"); // what the workers SDK wraps
  assert.deepEqual(await limiter.limit({ key: "user:1" }), { success: true });
  assert.deepEqual(await limiter.limit({ key: "user:1" }), { success: false });
  assert.deepEqual(asked[0], ["/ratelimit/JOB_CREATION_LIMITER", { key: "user:1" }]);
  await assert.rejects(limiter.limit({}), /key/);
});

test("a limiter fault makes limit() fail for matching keys", async () => {
  const faults = new FaultInjector(parseFaults(["LIMITER.limit*1=user:"], { LIMITER: "ratelimit" }));
  const limiter = new Ratelimit(new Gateway(async () => Response.json({ success: true })), "LIMITER", faults);
  await assert.rejects(limiter.limit({ key: "user:1" }), /rate limiter is unavailable/);
  assert.deepEqual(await limiter.limit({ key: "user:1" }), { success: true });
  assert.throws(() => parseFaults(["LIMITER.put=x"], { LIMITER: "ratelimit" }), /operations are limit/);
});

/** A server whose Worker holds each request until its signal aborts or 2 s pass. */
async function holdingServer(requestSignal) {
  const outcomes = [];
  const answered = [];
  const python = {
    async fetch(request) {
      if (new URL(request.url).pathname === "/quick") {
        answered.push(request.signal);
        return new Response("done");
      }
      const aborted = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 2000);
        request.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      outcomes.push(aborted);
      return new Response(null, { status: 304 });
    },
  };
  const assets = { workerFirst: () => true, lookup: () => null };
  const log = { request() {}, error() {}, info() {} };
  const server = await startHttpServer({ host: "127.0.0.1", port: 0, assets, python, log, requestSignal });
  return { server, port: server.address().port, outcomes, answered };
}

function leaveAfter(port, ms) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write("GET /held HTTP/1.1\r\nHost: localhost\r\n\r\n");
      setTimeout(() => socket.destroy(), ms);
    });
    socket.on("close", resolve);
  });
}

test("with enable_request_signal a client that leaves aborts its request's signal; without it nothing does", async () => {
  for (const requestSignal of [true, false]) {
    const { server, port, outcomes, answered } = await holdingServer(requestSignal);
    try {
      const started = performance.now();
      await leaveAfter(port, 200);
      while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const elapsed = performance.now() - started;
      assert.deepEqual(outcomes, [requestSignal]);
      if (requestSignal) assert.ok(elapsed < 1000, `aborted ${elapsed} ms after the request`);
      // A request answered in full is never aborted, though its connection closes afterwards.
      const response = await fetch(`http://127.0.0.1:${port}/quick`);
      assert.equal(await response.text(), "done");
      server.closeAllConnections();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(answered[0].aborted, false);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  }
});
