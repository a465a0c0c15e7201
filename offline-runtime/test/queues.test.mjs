import assert from "node:assert/strict";
import { test } from "node:test";
import { compatibilityFlags, ExecutionContext } from "../python-host.mjs";
import { MessageBatch } from "../queues.mjs";

const messages = [
  { id: "a", timestamp: 0, attempts: 1, body: { jobId: "1" } },
  { id: "b", timestamp: 0, attempts: 2, body: { jobId: "2" } },
];

test("each message's ack()/retry() is recorded for the broker", () => {
  const batch = new MessageBatch("image-jobs", messages);
  assert.equal(batch.messages[1].attempts, 2);
  assert.ok(batch.messages[0].timestamp instanceof Date);
  batch.messages[0].ack();
  batch.messages[1].retry({ delaySeconds: 8 });
  assert.deepEqual(batch.outcome(null), {
    decisions: [
      { id: "a", action: "ack" },
      { id: "b", action: "retry", delaySeconds: 8 },
    ],
    error: null,
  });
});

test("as in workerd, the first decision for a message wins; batch-wide calls decide the rest", () => {
  const batch = new MessageBatch("image-dlq", messages);
  batch.messages[0].retry();
  batch.messages[0].ack(); // no effect: already retried
  batch.retryAll({ delaySeconds: 3 }); // decides only "b"
  batch.ackAll(); // no effect: all decided
  const outcome = batch.outcome(new Error("boom"));
  assert.deepEqual(outcome.decisions, [
    { id: "a", action: "retry", delaySeconds: undefined },
    { id: "b", action: "retry", delaySeconds: 3 },
  ]);
  assert.equal(outcome.error, "boom");
});

test("waitUntil() tasks are awaited when the event drains; failures are reported", async () => {
  const ctx = new ExecutionContext();
  assert.equal(Object.prototype.toString.call(ctx), "[object ExecutionContext]");
  let done = false;
  ctx.waitUntil(
    new Promise((resolve) =>
      setTimeout(() => {
        done = true;
        resolve();
      }, 20),
    ),
  );
  ctx.waitUntil(Promise.reject(new Error("late failure")));
  const errors = [];
  await ctx.drain({ error: (_message, error) => errors.push(error.message) });
  assert.equal(done, true);
  assert.deepEqual(errors, ["late failure"]);
});

test("compatibility flags follow the date and explicit flags", () => {
  assert.equal(compatibilityFlags("2026-04-25", []).python_request_headers_preserve_commas, true);
  assert.equal(compatibilityFlags("2026-01-01", []).python_request_headers_preserve_commas, false);
  assert.equal(
    compatibilityFlags("2026-04-25", ["disable_python_request_headers_preserve_commas"])
      .python_request_headers_preserve_commas,
    false,
  );
});
