// What each job status (docs/API.md, "The job resource") looks like on the page: its label,
// whether it is final, the card's timeline and the result preview's placeholder. Data only;
// imports nothing.

export const TERMINAL = new Set(["completed", "failed", "cancelled"]);

const STATUS_LABEL = {
  pending: "Pending",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** The badge text of a status (an unknown status shows as itself). */
export function statusLabel(status) {
  return STATUS_LABEL[status] ?? status;
}

/** A status inside a sentence: "… is in progress." */
export function statusPhrase(status) {
  return STATUS_LABEL[status]?.toLowerCase() ?? status;
}

/** What a screen reader hears after each timeline step, by the step's phase. */
export const PHASE_TEXT = {
  done: " (done)",
  current: " (current)",
  upcoming: " (not yet)",
  skipped: " (skipped)",
  failed: " (failed)",
};

// The timeline's steps (the template's data-step: pending, in_progress, end) for each status:
// the step's phase, its label, and the job field that dates it ("ended" is completed_at, else
// updated_at; null leaves it undated). `unstarted` replaces the phase when the job has no
// started_at (it was cancelled or failed while still queued).
const TIMELINE = new Map([
  [
    "pending",
    {
      pending: { phase: "current", label: "Queued", time: "created_at" },
      in_progress: { phase: "upcoming", label: "Processing", time: null },
      end: { phase: "upcoming", label: "Done", time: null },
    },
  ],
  [
    "in_progress",
    {
      pending: { phase: "done", label: "Queued", time: "created_at" },
      in_progress: { phase: "current", label: "Processing", time: "started_at" },
      end: { phase: "upcoming", label: "Done", time: null },
    },
  ],
  [
    "completed",
    {
      pending: { phase: "done", label: "Queued", time: "created_at" },
      in_progress: { phase: "done", label: "Processing", time: "started_at" },
      end: { phase: "done", label: "Completed", time: "ended" },
    },
  ],
  [
    "failed",
    {
      pending: { phase: "done", label: "Queued", time: "created_at" },
      in_progress: { phase: "done", unstarted: "skipped", label: "Processing", time: "started_at" },
      end: { phase: "failed", label: "Failed", time: "ended" },
    },
  ],
  [
    "cancelled",
    {
      pending: { phase: "done", label: "Queued", time: "created_at" },
      in_progress: { phase: "done", unstarted: "skipped", label: "Processing", time: "started_at" },
      end: { phase: "failed", label: "Cancelled", time: "ended" },
    },
  ],
]);

/** The timeline steps of a status; a status this page does not know sets only the first step. */
export function timelineSteps(status) {
  return TIMELINE.get(status) ?? { pending: { phase: "current", label: statusLabel(status), time: "created_at" } };
}

const RESULT_PLACEHOLDER = new Map([
  ["completed", "Loading…"],
  ["failed", "No result"],
  ["cancelled", "Cancelled"],
  ["in_progress", "Converting…"],
]);

/** The text in the result preview's frame until (or instead of) the grayscale image. */
export function resultPlaceholder(status) {
  return RESULT_PLACEHOLDER.get(status) ?? "Waiting in queue…";
}
