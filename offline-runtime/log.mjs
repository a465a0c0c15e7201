// Readable logs for the offline runtime: request lines, queue batches, Python output and
// tracebacks (a PythonError's message is the formatted traceback).
const stamp = () => new Date().toISOString().slice(11, 23);

export function makeLog({ quiet = false } = {}) {
  const write = (line) => process.stderr.write(`${line}\n`);
  return {
    info: (message) => write(`[${stamp()}] ${message}`),
    event: (message) => quiet || write(`[${stamp()}] ${message}`),
    request: (method, target, status, ms) =>
      quiet || write(`[${stamp()}] ${method} ${target} ${status} ${ms.toFixed(0)} ms`),
    python: (line) => write(line),
    error: (message, error) => {
      write(`[${stamp()}] ERROR ${message}`);
      if (error) write(String(error?.type === undefined ? (error?.stack ?? error) : error.message));
    },
  };
}
