// Queue delivery from Miniflare's real broker to the Python handler. The consumer Worker inside
// Miniflare posts each batch here; the handler's ack()/retry() calls are recorded and sent back
// to be applied to the real messages.
import { Response } from "miniflare";

/** One delivered message, with workerd's Message interface (a class, so Python sees methods). */
export class Message {
  #decide;

  constructor({ id, timestamp, attempts, body }, decide) {
    this.id = id;
    this.timestamp = new Date(timestamp);
    this.attempts = attempts;
    this.body = body;
    this.#decide = decide;
  }

  ack() {
    this.#decide({ id: this.id, action: "ack" });
  }

  retry(options = {}) {
    this.#decide({ id: this.id, action: "retry", delaySeconds: options?.delaySeconds });
  }
}

/**
 * workerd's MessageBatch: `.queue`, `.messages`, `ackAll()`, `retryAll()`. As in workerd, the
 * first decision for a message is the one that counts (a later ack() after retry() "has no
 * effect"), and ackAll()/retryAll() decide the messages not decided yet.
 */
export class MessageBatch {
  #decisions = new Map();

  constructor(queue, messages) {
    this.queue = queue;
    this.messages = messages.map((m) => new Message(m, (d) => this.#decide(d)));
  }

  #decide(decision) {
    if (!this.#decisions.has(decision.id)) this.#decisions.set(decision.id, decision);
  }

  ackAll() {
    for (const m of this.messages) this.#decide({ id: m.id, action: "ack" });
  }

  retryAll(options = {}) {
    for (const m of this.messages) this.#decide({ id: m.id, action: "retry", delaySeconds: options?.delaySeconds });
  }

  outcome(error) {
    return { decisions: [...this.#decisions.values()], error: error ? String(error.message ?? error) : null };
  }
}

/** The HOST service binding's function: runs the Python queue handler for one batch. */
export function queueHost(python, log) {
  return async (request) => {
    const { queue, messages } = await request.json();
    const batch = new MessageBatch(queue, messages);
    const started = performance.now();
    let error = null;
    try {
      await python.queue(batch);
    } catch (e) {
      error = e;
      log.error(`queue ${queue}: handler raised`, e);
    }
    const outcome = batch.outcome(error);
    log.event(
      `queue ${queue} batch of ${messages.length} → ${describe(outcome)} (${Math.round(performance.now() - started)} ms)`,
    );
    return new Response(JSON.stringify(outcome), { headers: { "content-type": "application/json" } });
  };
}

function describe(outcome) {
  const parts = outcome.decisions.map(
    (d) => `${d.action}${d.delaySeconds !== undefined ? `(${d.delaySeconds}s)` : ""}`,
  );
  if (outcome.error) parts.push("error");
  return parts.join(", ") || "implicit ack";
}
