// The Python side of the offline runtime: the Worker's code in npm `pyodide` (the production
// Pyodide line) with the vendored `workers` SDK, driven the way workerd drives a Python Worker:
// a fresh `Default(ctx, env)` per event, fetch through RPC conversion, queue called relaxed.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// Compatibility flags the vendored SDK reads, with the date workerd turns each on.
const FLAG_ENABLE_DATES = {
  python_request_headers_preserve_commas: "2026-02-17",
};

export function compatibilityFlags(date, explicitFlags) {
  const flags = {};
  for (const [flag, enableDate] of Object.entries(FLAG_ENABLE_DATES)) {
    flags[flag] = date >= enableDate;
  }
  for (const flag of explicitFlags) {
    if (flag.startsWith("disable_")) flags[flag.slice("disable_".length)] = false;
    else flags[flag] = true;
  }
  return flags;
}

/** workerd's ExecutionContext: waitUntil() keeps the event alive for background work. */
export class ExecutionContext {
  #pending = [];

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    this.#pending.push(Promise.resolve(promise));
  }

  passThroughOnException() {}

  get props() {
    return {};
  }

  /** Settles every waitUntil() promise, reporting failures as workerd logs them. */
  async drain(log) {
    while (this.#pending.length) {
      const batch = this.#pending.splice(0);
      for (const result of await Promise.allSettled(batch)) {
        if (result.status === "rejected") log.error("waitUntil() task failed", result.reason);
      }
    }
  }
}

const currentContext = new AsyncLocalStorage();

function patchWaitUntil(ctx) {
  // Same contract as workerd's helper: a Python awaitable handed to waitUntil is copied so
  // that it outlives the call, and destroyed once settled.
  if (Object.prototype.toString.call(ctx) !== "[object ExecutionContext]" || ctx.__patched) return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (p) =>
    original(
      (async () => {
        const owned = typeof p.copy === "function" ? p.copy() : p;
        await owned;
        if (typeof owned.destroy === "function") owned.destroy();
      })(),
    );
  ctx.__patched = true;
}

/** Runs `load` with fetch() refusing every request: Pyodide must load from disk alone. */
async function withoutNetwork(load) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input) => {
    throw new Error(`the offline runtime must not fetch at start-up (asked for ${input})`);
  };
  try {
    return await load();
  } finally {
    globalThis.fetch = realFetch;
  }
}

export async function startPython({ config, env, log }) {
  const started = performance.now();
  const pyodide = await withoutNetwork(() =>
    loadPyodide({
      indexURL: path.dirname(require.resolve("pyodide/package.json")) + path.sep,
      packages: [],
      stdout: (line) => log.python(line),
      stderr: (line) => log.python(line),
    }),
  );

  const mount = (hostDir, target) => {
    pyodide.FS.mkdirTree(target);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: hostDir }, target);
  };
  const mainDir = path.dirname(config.mainModule);
  mount(mainDir, "/session/main");
  mount(config.pythonModulesDir, "/session/python_modules");
  mount(path.join(here, "host"), "/session/offline_runtime");

  pyodide.registerJsModule(
    "_cloudflare_compat_flags",
    compatibilityFlags(config.compatibilityDate, config.compatibilityFlags),
  );
  pyodide.registerJsModule("_pyodide_entrypoint_helper", {
    cloudflareWorkersModule: {
      env,
      waitUntil: (p) => {
        const ctx = currentContext.getStore();
        if (!ctx) throw new Error("waitUntil() called outside of an event");
        ctx.waitUntil(p);
      },
    },
    cloudflareSocketsModule: {},
    doAnImport: async (name) => {
      throw new Error(`the offline runtime cannot import the JavaScript module '${name}'`);
    },
    patchWaitUntil,
    patch_env_helper: () => {
      throw new Error("patch_env is not supported by the offline runtime");
    },
    workerEntrypoint: class WorkerEntrypoint {},
  });

  // The bundle root (the main module's folder) and python_modules/ are on sys.path in workerd.
  pyodide.runPython(`
import sys
sys.path[:0] = ["/session/main", "/session/python_modules", "/session/offline_runtime"]
`);
  const host = pyodide.pyimport("offline_runtime_host");
  const mainName = path.basename(config.mainModule, ".py");
  const importStarted = performance.now();
  const mainModule = pyodide.pyimport(mainName);
  const mainImportMs = performance.now() - importStarted;
  const DefaultClass = mainModule.Default;
  if (typeof DefaultClass !== "function") {
    throw new Error(`There is no 'Default' class defined in the Python Worker's main module ${mainName}.py`);
  }
  const startupMs = performance.now() - started;

  const heapWarningBytes = 100 * 1024 * 1024;
  // Memory figures for tools (`make load` reads them from the log): a `memory:` line whenever the
  // Pyodide heap grows, after the 10th queue batch and after every 100th. The Pyodide heap (wasm
  // linear memory) never shrinks: it is the high-water mark of the Python side. The bytes malloc
  // has in use inside it show whether anything accumulates between events; RSS adds Node, V8 and
  // their buffers.
  const eventCounts = { fetch: 0, queue: 0, scheduled: 0 };
  let loggedHeap = 0;
  const wasm = pyodide._module;
  const mallinfoStruct = wasm._PyMem_RawMalloc(64); // struct mallinfo: ten ints; uordblks is the 8th
  function memoryFigures() {
    const { rss, heapUsed, external } = process.memoryUsage();
    wasm._mallinfo(mallinfoStruct);
    const mallocInUse = wasm.HEAPU32[(mallinfoStruct >> 2) + 7];
    return { ...eventCounts, pyodideHeap: wasm.HEAP8.length, mallocInUse, rss, jsHeap: heapUsed, external };
  }
  function logMemory() {
    const m = memoryFigures();
    const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    log.info(
      `memory: ${m.fetch} requests, ${m.queue} queue batches: Pyodide heap ${mib(m.pyodideHeap)}, ` +
        `in use ${mib(m.mallocInUse)}, RSS ${mib(m.rss)}, V8 heap ${mib(m.jsHeap)}, external ${mib(m.external)}`,
    );
  }
  function checkMemory(kind) {
    eventCounts[kind] += 1;
    // workerd kills an isolate over 128 MB; Pyodide's heap is most of an isolate's memory.
    const heap = wasm.HEAP8.length;
    if (heap > heapWarningBytes && heap > loggedHeap)
      log.error(`Pyodide heap is ${(heap / 2 ** 20).toFixed(0)} MB: near the 128 MB isolate limit of workerd`);
    const batches = eventCounts.queue;
    if (heap > loggedHeap || (kind === "queue" && (batches === 10 || batches % 100 === 0))) {
      loggedHeap = Math.max(loggedHeap, heap);
      logMemory();
    }
  }

  /**
   * Run one event against a fresh Default(ctx, env). The result is returned as soon as the
   * handler settles; with `untilTasksSettle` the event also waits for its waitUntil() tasks
   * (queue events do; a fetch response goes out first, as in workerd).
   */
  function withInstance(run, { untilTasksSettle, kind }) {
    const ctx = new ExecutionContext();
    return currentContext.run(ctx, async () => {
      const instance = DefaultClass(ctx, env);
      const finish = async () => {
        await ctx.drain(log);
        instance.destroy();
        checkMemory(kind);
      };
      let result;
      try {
        result = await run(instance, ctx);
      } catch (error) {
        await finish();
        throw error;
      }
      if (untilTasksSettle) await finish();
      else finish().catch((error) => log.error("event clean-up failed", error));
      return result;
    });
  }

  return {
    pyodide,
    startupMs,
    mainImportMs,

    /** Calls Default.fetch(request) and returns the JS Response it produced. */
    fetch(request) {
      return withInstance((instance) => host.call_handler(instance, "fetch", true, request), {
        untilTasksSettle: false,
        kind: "fetch",
      });
    },

    /**
     * Calls Default.queue(batch, env, ctx): for a class entrypoint workerd passes three
     * arguments, the last two arriving in Python as None (the handler uses self.env).
     */
    queue(batch) {
      return withInstance((instance) => host.call_handler(instance, "queue", false, batch, undefined, undefined), {
        untilTasksSettle: true,
        kind: "queue",
      });
    },

    /** Calls Default.scheduled(controller, env, ctx), likewise. */
    scheduled(controller) {
      return withInstance(
        (instance) => host.call_handler(instance, "scheduled", false, controller, undefined, undefined),
        {
          untilTasksSettle: true,
          kind: "scheduled",
        },
      );
    },
  };
}
