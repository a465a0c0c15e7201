// Runs inside Miniflare (real workerd) as the consumer of every queue in wrangler.jsonc.
// Hands each batch to the Node side (where the Python handler runs) through the HOST
// service binding, then applies the handler's ack()/retry() decisions to the real messages,
// so retries, delays and dead-lettering are the real broker's.

export default {
  async queue(batch, env) {
    const messages = batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp.getTime(),
      attempts: message.attempts,
      body: message.body,
    }));
    const response = await env.HOST.fetch("http://offline-runtime/queue", {
      method: "POST",
      body: JSON.stringify({ queue: batch.queue, messages }),
    });
    const outcome = await response.json();
    const byId = new Map(batch.messages.map((message) => [message.id, message]));
    for (const { id, action, delaySeconds } of outcome.decisions) {
      const message = byId.get(id);
      if (action === "ack") message.ack();
      else if (action === "retry") message.retry(delaySeconds === undefined ? {} : { delaySeconds });
    }
    // As in workerd: a handler that threw leaves its undecided messages to be retried.
    if (outcome.error) throw new Error(`Python queue handler failed: ${outcome.error}`);
  },
};
