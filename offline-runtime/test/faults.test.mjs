import assert from "node:assert/strict";
import { test } from "node:test";
import { D1Database } from "../bindings.mjs";
import { FaultInjector, parseFaults } from "../faults.mjs";
import { Gate, Isolate, IsolateCrashed } from "../isolate.mjs";

const kinds = { DB: "d1", IMAGES_BUCKET: "r2", JOB_QUEUE: "queue" };

test("fault specs: binding, operation, count, match, crash", () => {
  const [r2, d1, crash] = parseFaults(
    ["IMAGES_BUCKET.put=results/", "DB.reply*2=SET status = 'completed'", "crash:IMAGES_BUCKET.get*1=originals/"],
    kinds,
  );
  assert.deepEqual(
    { ...r2, remaining: String(r2.remaining) },
    {
      spec: "IMAGES_BUCKET.put=results/",
      crash: false,
      crashAfterMs: null,
      binding: "IMAGES_BUCKET",
      operation: "put",
      match: "results/",
      remaining: "Infinity",
    },
  );
  assert.equal(d1.match, "SET status = 'completed'");
  assert.equal(d1.remaining, 2);
  assert.ok(crash.crash && crash.remaining === 1 && crash.crashAfterMs === null);
  assert.equal(parseFaults(["crash@25:DB.query*1=SELECT"], kinds)[0].crashAfterMs, 25);
});

test("specs that name no binding, or an operation its kind lacks, are refused", () => {
  assert.throws(() => parseFaults(["NOPE.get=x"], kinds), /no binding NOPE/);
  assert.throws(() => parseFaults(["DB.get=x"], kinds), /DB is d1, whose operations are query, reply/);
  assert.throws(() => parseFaults(["IMAGES_BUCKET.get"], kinds), /expects/);
  assert.throws(() => parseFaults(["IMAGES_BUCKET.get*0=x"], kinds), /COUNT/);
});

test("a counted fault fires on that many matching calls; R2 matches by prefix, SQL by substring", () => {
  const faults = new FaultInjector(parseFaults(["IMAGES_BUCKET.put*2=results/", "DB.query=INSERT"], kinds));
  assert.equal(faults.take("IMAGES_BUCKET", "put", "originals/a.png"), null);
  assert.ok(faults.take("IMAGES_BUCKET", "put", "results/a.png"));
  assert.ok(faults.take("IMAGES_BUCKET", "put", "results/b.png"));
  assert.equal(faults.take("IMAGES_BUCKET", "put", "results/c.png"), null); // spent
  assert.equal(faults.take("IMAGES_BUCKET", "get", "results/a.png"), null);
  assert.ok(faults.take("DB", "query", "  INSERT INTO jobs …"));
});

test("apply() throws the binding's error, or crashes and never settles", async () => {
  const faults = new FaultInjector(parseFaults(["DB.query=x", "crash:IMAGES_BUCKET.put=results/"], kinds));
  await assert.rejects(
    faults.apply("DB", "query", "x", () => new Error("D1_ERROR: injected")),
    /D1_ERROR/,
  );
  await faults.apply("DB", "query", "y", () => new Error("not this one")); // no match: goes on
  const reasons = [];
  faults.onCrash = (reason) => reasons.push(reason);
  const call = faults.apply("IMAGES_BUCKET", "put", "results/a.png", () => new Error("no"));
  const settled = await Promise.race([call.then(() => "settled"), new Promise((r) => setTimeout(r, 50, "pending"))]);
  assert.equal(settled, "pending");
  assert.match(reasons[0], /crash:IMAGES_BUCKET.put=results\/ during IMAGES_BUCKET.put/);
});

test("crash@MS lets the call succeed and crashes the isolate that many ms after it returns", async () => {
  const faults = new FaultInjector(parseFaults(["crash@20:IMAGES_BUCKET.get*1=originals/"], kinds));
  const reasons = [];
  faults.onCrash = (reason) => reasons.push(reason);
  const afterTheCall = await faults.apply("IMAGES_BUCKET", "get", "originals/a.png", () => new Error("no"));
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(reasons, []); // the timer starts once the call has returned
  afterTheCall();
  assert.deepEqual(reasons, []);
  await new Promise((r) => setTimeout(r, 40));
  assert.match(reasons[0], /during what followed IMAGES_BUCKET.get/);
});

test("a closed gate lets no call through and settles none in flight", async () => {
  const gate = new Gate();
  let release;
  const dispatch = gate.wrap(() => new Promise((r) => (release = r)));
  const inFlight = dispatch();
  gate.open = false;
  release("late");
  const outcome = await Promise.race([inFlight, new Promise((r) => setTimeout(r, 30, "never"))]);
  assert.equal(outcome, "never");
  const after = await Promise.race([dispatch(), new Promise((r) => setTimeout(r, 30, "never"))]);
  assert.equal(after, "never");
});

test("a crash fails the events in flight and a new instance serves the next ones", async () => {
  const log = { info() {}, error() {} };
  const instances = [];
  const isolate = new Isolate({
    log,
    start: async (gate) => {
      const instance = {
        gate,
        startupMs: 1,
        queue: () => new Promise(() => {}), // busy for ever, until the crash
        fetch: async () => `served by instance ${instances.length}`,
        scheduled: async () => {},
      };
      instances.push(instance);
      return instance;
    },
  });
  await isolate.boot();
  const batch = isolate.queue({});
  isolate.crash("test");
  await assert.rejects(batch, IsolateCrashed);
  assert.equal(instances[0].gate.open, false);
  assert.equal(await isolate.fetch({}), "served by instance 2");
  assert.equal(isolate.restarts, 1);
});

test("a D1 batch is one transaction: a fault on any of its statements is the batch's", async () => {
  const sent = [];
  const gateway = { json: async (_path, op) => sent.push(op.statements.length) && { ok: true } };
  const faults = new FaultInjector(
    parseFaults(["DB.query*1=SET status = 'completed'", "DB.reply*1=SET status = 'failed'"], kinds),
  );
  const db = new D1Database(gateway, "DB", faults);
  const batch = (sql) => db.batch([db.prepare(sql), db.prepare("UPDATE jobs SET status = 'x'")]);
  await assert.rejects(batch("UPDATE tasks SET status = 'completed'"), /injected fault: the database is unavailable/);
  assert.deepEqual(sent, []); // nothing ran
  await assert.rejects(batch("UPDATE tasks SET status = 'failed'"), /the reply was lost \(the batch ran\)/);
  assert.deepEqual(sent, [2]); // it ran, then its reply was lost
  assert.deepEqual(await batch("UPDATE tasks SET status = 'completed'"), { ok: true }); // *1: used up
});
