// The operations an upload can ask for (docs/API.md, "Tasks"): their names and labels, the
// choice made at upload (the checkboxes of #operations), and the download name of each task's
// result. Imports nothing.

/** Every operation, in the order a job lists its tasks. */
export const OPERATIONS = [
  { name: "grayscale", label: "Grayscale", extension: "png" },
  { name: "thumbnail", label: "Thumbnail", extension: "png" },
  { name: "metadata", label: "Metadata", extension: "json" },
];

const byName = new Map(OPERATIONS.map((operation) => [operation.name, operation]));

/** The label of an operation (an unknown one shows as its name). */
export function operationLabel(name) {
  return byName.get(name)?.label ?? name;
}

/** The download name of a task's result: `photo.png` → `photo-thumbnail.png`. */
export function resultName(fileName, operation) {
  const stem = fileName.toLowerCase().endsWith(".png") ? fileName.slice(0, -4) : fileName;
  return `${stem}-${operation}.${byName.get(operation)?.extension ?? "bin"}`;
}

/** The operations ticked at upload, as the API's `operations` field ("grayscale,thumbnail");
 * "" when none is. */
export function chosenOperations() {
  return Array.from(document.querySelectorAll("#operations input[type=checkbox]:checked"), (box) => box.value).join(
    ",",
  );
}

/** The job's task for `operation`, or null (a job from before fan-out has none listed). */
export function taskOf(job, operation) {
  return job.tasks?.find((task) => task.operation === operation) ?? null;
}
