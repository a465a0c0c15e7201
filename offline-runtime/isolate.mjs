// The Worker's isolate as a supervisor sees it: the Python instance that serves events, and
// what happens when it crashes. workerd fails every event in flight on a crashed isolate
// (an HTTP request gets an error, a queue invocation fails so the broker retries its
// messages) and serves later events from a fresh one. Here a crash (an injected fault,
// faults.mjs) closes the instance's gate — its binding calls never settle again, so the
// abandoned Python can change nothing — fails its events, and starts a new instance.

export class IsolateCrashed extends Error {
  name = "IsolateCrashed";
}

/** Lets one instance's binding calls through until it is closed; then none ever settles. */
export class Gate {
  open = true;

  wrap(dispatch) {
    const never = () => new Promise(() => {});
    return async (...args) => {
      if (!this.open) return never();
      const result = await dispatch(...args);
      return this.open ? result : never();
    };
  }
}

export class Isolate {
  #start;
  #log;
  #current = null;
  #ready = null;
  restarts = 0;

  /** `start(gate)` starts a Python instance (python-host.mjs) whose bindings go through `gate`. */
  constructor({ start, log }) {
    this.#start = start;
    this.#log = log;
  }

  /** Starts the first instance; resolves to it. */
  boot() {
    this.#ready = this.#boot();
    return this.#ready;
  }

  async #boot() {
    const gate = new Gate();
    let crash;
    const crashed = new Promise((_, reject) => {
      crash = reject;
    });
    crashed.catch(() => {}); // observed by the events that race it
    const python = await this.#start(gate);
    this.#current = { gate, crashed, crash, python };
    return python;
  }

  /** Tears the current instance down mid-event and starts another. */
  crash(reason) {
    const current = this.#current;
    if (!current?.gate.open) return; // already down (a second fault of the same event)
    current.gate.open = false;
    current.crash(new IsolateCrashed(`the isolate crashed: ${reason}`));
    this.#current = null;
    this.restarts += 1;
    this.#log.error(`isolate crashed (${reason}); starting a new one`);
    this.#ready = this.#boot().then((python) => {
      this.#log.info(`isolate restarted in ${python.startupMs.toFixed(0)} ms`);
      return python;
    });
  }

  /** Runs an event on the current instance; it fails at once if that instance crashes. */
  async #run(event, argument) {
    if (this.#ready === null) throw new Error("the isolate has not been started");
    while (this.#current === null) await this.#ready; // (re)starting: events wait for it
    const { crashed, python } = this.#current;
    return Promise.race([python[event](argument), crashed]);
  }

  fetch(request) {
    return this.#run("fetch", request);
  }

  queue(batch) {
    return this.#run("queue", batch);
  }

  scheduled(controller) {
    return this.#run("scheduled", controller);
  }
}
