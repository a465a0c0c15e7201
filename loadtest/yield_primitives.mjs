// Which ways of "yielding" in the middle of CPU-bound work let real workerd serve another request
// meanwhile? A JavaScript Worker in Miniflare's workerd (the runtime the project pins, at the
// project's compatibility date) burns CPU in slices with a pause between them, while the client
// sends `GET /ping` to the same isolate. The pauses tried: none; a resolved promise (a microtask);
// a MessageChannel message (what Pyodide's event loop uses for `asyncio.sleep(0)` when there is a
// MessageChannel and no Node); and `setTimeout(0)` (platform/event_loop.py). A pause lets requests
// in when pings come back while the work is still running.
// Usage: node loadtest/yield_primitives.mjs   (prints a table; exits 1 if setTimeout does not yield)
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const here = path.dirname(fileURLToPath(import.meta.url));
const wrangler = readFileSync(path.join(here, "..", "wrangler.jsonc"), "utf8");
const compatibilityDate = wrangler.match(/"compatibility_date":\s*"([^"]+)"/)[1];

const WORKER = `
function burn(units) {
  // Fixed work, not a timed loop: workerd's clocks stand still while JavaScript runs.
  let x = 0;
  for (let i = 0; i < units * 100000; i++) x = (x * 31 + i) | 0;
  return x;
}
const pauses = {
  none: async () => {},
  microtask: () => Promise.resolve(),
  messagechannel: () =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage("");
    }),
  settimeout: () => new Promise((resolve) => setTimeout(resolve, 0)),
};
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/ping") return new Response("pong");
    if (url.pathname === "/globals")
      return Response.json({
        MessageChannel: typeof MessageChannel,
        setImmediate: typeof setImmediate,
        scheduler: typeof scheduler,
      });
    const pause = pauses[url.searchParams.get("pause")];
    const slices = Number(url.searchParams.get("slices"));
    const units = Number(url.searchParams.get("units"));
    for (let i = 0; i < slices; i++) {
      burn(units);
      await pause();
    }
    return new Response("done");
  },
};
`;

const mf = new Miniflare({ modules: true, script: WORKER, compatibilityDate });
try {
  await mf.ready;
  const globals = await (await mf.dispatchFetch("http://worker/globals")).json();

  // Calibrate a slice to ~20 ms of work on this machine (measured around the whole request).
  const calibrate = async (units) => {
    const started = performance.now();
    await (await mf.dispatchFetch(`http://worker/work?pause=none&slices=10&units=${units}`)).text();
    return (performance.now() - started) / 10;
  };
  await calibrate(10); // warm-up (JIT)
  const perUnit = (await calibrate(50)) / 50;
  const units = Math.max(1, Math.round(20 / perUnit));
  const slices = 60;

  const rows = [];
  for (const pause of ["none", "microtask", "messagechannel", "settimeout"]) {
    const started = performance.now();
    let workDone = 0;
    const work = mf
      .dispatchFetch(`http://worker/work?pause=${pause}&slices=${slices}&units=${units}`)
      .then((response) => response.text())
      .then(() => {
        workDone = performance.now();
      });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the work is under way
    const latencies = [];
    let duringWork = 0;
    while (!workDone) {
      const sent = performance.now();
      await (await mf.dispatchFetch("http://worker/ping")).text();
      const received = performance.now();
      if (!workDone) duringWork += 1;
      latencies.push(received - sent);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await work;
    latencies.sort((a, b) => a - b);
    rows.push({
      pause,
      "work (ms)": Math.round(workDone - started),
      "pings answered during the work": duringWork,
      "fastest ping (ms)": Math.round(latencies[0] ?? 0),
      "slowest ping (ms)": Math.round(latencies.at(-1) ?? 0),
    });
  }
  // What a pause costs with nothing else to do: many short slices, each pause against none.
  const costRows = [];
  const shortUnits = Math.max(1, Math.round(units / 10)); // ~2 ms slices
  const costSlices = 300;
  const timed = async (pause) => {
    const started = performance.now();
    await (await mf.dispatchFetch(`http://worker/work?pause=${pause}&slices=${costSlices}&units=${shortUnits}`)).text();
    return performance.now() - started;
  };
  for (let round = 0; round < 3; round++) {
    const none = await timed("none");
    for (const pause of ["settimeout", "messagechannel"]) {
      costRows.push({ pause, round, "ms per pause": ((await timed(pause)) - none) / costSlices });
    }
  }
  console.log(`workerd (Miniflare), compatibility date ${compatibilityDate}; globals: ${JSON.stringify(globals)}`);
  console.log(`${slices} slices of ~20 ms of work with a pause after each; pings sent every 10 ms meanwhile`);
  console.table(rows);
  console.log(`the wall-clock cost of one pause, ${costSlices} slices of ~2 ms with nothing else to do`);
  console.table(
    ["settimeout", "messagechannel"].map((pause) => {
      const costs = costRows.filter((row) => row.pause === pause).map((row) => row["ms per pause"]);
      return { pause, "ms per pause (median of 3)": costs.sort((a, b) => a - b)[1].toFixed(3) };
    }),
  );
  const timer = rows.find((row) => row.pause === "settimeout");
  if (timer["pings answered during the work"] < 2) {
    console.log("setTimeout(0) did NOT let requests in during the work");
    process.exitCode = 1;
  }
} finally {
  await mf.dispose();
}
