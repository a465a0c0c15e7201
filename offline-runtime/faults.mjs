// Fault injection (`--inject-fault`, for tests): binding calls that fail, replies that are
// lost, queue messages that vanish, and isolate crashes, so that tests can watch how the
// Worker copes with each through the real broker. A spec is
//
//     [crash[@MS]:]BINDING.OPERATION[*COUNT]=MATCH
//
//   R2 bucket  get | put | delete   MATCH: a key prefix          the call fails
//   D1         query                MATCH: a part of the SQL     the statement fails unrun
//              reply                                              it runs, then its reply is lost
//   Queue      send                 MATCH: a part of the body    the send is refused
//              drop                 (as JSON; empty: any)        the send succeeds, the message is lost
//   Rate limit limit                MATCH: a part of the key      the call fails
//
// COUNT limits the fault to the first COUNT matching calls (default: every one). With
// `crash:` the matching call never returns and the isolate crashes instead: its Python
// instance is torn down mid-event and a new one started (isolate.mjs), as workerd does.
// With `crash@MS:` the call succeeds and the isolate crashes MS milliseconds later, in the
// middle of whatever the Worker does next (a conversion, as soon as it hands the event loop
// back; otherwise at its next binding call).

const OPERATIONS = {
  r2: ["get", "put", "delete"],
  d1: ["query", "reply"],
  queue: ["send", "drop"],
  ratelimit: ["limit"],
};

const SPEC = /^(?:(crash)(?:@(\d+))?:)?([A-Za-z_][A-Za-z0-9_]*)\.([a-z]+)(?:\*(\d+))?=(.*)$/s;

/** Parses specs; `kinds` maps each binding name to "r2", "d1", "queue" or "ratelimit". */
export function parseFaults(specs, kinds) {
  return specs.map((spec) => {
    const match = spec.match(SPEC);
    if (!match) throw new Error(`--inject-fault expects [crash[@MS]:]BINDING.OPERATION[*COUNT]=MATCH, got ${spec}`);
    const [, crash, delay, binding, operation, count, subject] = match;
    const kind = kinds[binding];
    if (!kind) throw new Error(`--inject-fault ${spec}: no binding ${binding} (have ${Object.keys(kinds).join(", ")})`);
    if (!OPERATIONS[kind].includes(operation)) {
      throw new Error(
        `--inject-fault ${spec}: ${binding} is ${kind}, whose operations are ${OPERATIONS[kind].join(", ")}`,
      );
    }
    if (count !== undefined && Number(count) < 1) throw new Error(`--inject-fault ${spec}: COUNT must be at least 1`);
    return {
      spec,
      crash: Boolean(crash),
      crashAfterMs: delay === undefined ? null : Number(delay),
      binding,
      operation,
      match: subject,
      remaining: count === undefined ? Number.POSITIVE_INFINITY : Number(count),
    };
  });
}

/** Where a fault's MATCH applies: R2 keys by prefix, SQL and queue bodies by substring. */
const matches = (fault, subject) =>
  fault.operation === "get" || fault.operation === "put" || fault.operation === "delete"
    ? subject.startsWith(fault.match)
    : subject.includes(fault.match);

export class FaultInjector {
  /** `onCrash(reason)` is set by the isolate supervisor; `log` reports each fault as it fires. */
  constructor(faults = [], log = null) {
    this.faults = faults;
    this.log = log;
    this.onCrash = null;
  }

  get active() {
    return this.faults.length > 0;
  }

  /** The fault that applies to this call, counted as used; null when none does. */
  take(binding, operation, subject) {
    const fault = this.faults.find(
      (f) => f.binding === binding && f.operation === operation && f.remaining > 0 && matches(f, subject),
    );
    if (!fault) return null;
    fault.remaining -= 1;
    this.log?.event(`injected fault ${fault.spec}: ${binding}.${operation}(${subject.slice(0, 120)})`);
    return fault;
  }

  /** The isolate crashes during this call, which never returns. */
  crash(fault, what) {
    if (!this.onCrash) throw new Error(`--inject-fault ${fault.spec}: nothing can crash here`);
    this.onCrash(`injected fault ${fault.spec} during ${what}`);
    return new Promise(() => {});
  }

  /**
   * Applies the fault (if any) of `operation` to a call about to be made: throws
   * `error(fault)`, or never settles when it crashes the isolate. Returns what to run once
   * the call has returned (a `crash@MS` fault starts its timer then), or null.
   */
  async apply(binding, operation, subject, error) {
    const fault = this.take(binding, operation, subject);
    if (!fault) return null;
    const what = `${binding}.${operation}`;
    if (fault.crash && fault.crashAfterMs !== null) {
      return () => setTimeout(() => this.crash(fault, `what followed ${what}`), fault.crashAfterMs);
    }
    if (fault.crash) await this.crash(fault, what);
    throw error(fault);
  }
}

/** No faults: what every binding gets when none are injected. */
export const NO_FAULTS = new FaultInjector();
