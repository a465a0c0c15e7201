// The web page of the grayscale API (docs/API.md): upload PNGs, watch each job's state, compare
// before/after, download, cancel, delete, and page through the history. This module only wires
// the page's controls to the modules in modules/; plain ES modules, no bundler, no dependencies.
// Runs under the CSP in _headers: no inline styles or scripts, no innerHTML.

import { detectIdentity, submitDevUser } from "./modules/identity.js";
import { loadMore, wakeAll } from "./modules/job-list.js";
import { clearAlerts } from "./modules/messages.js";
import { handleFiles } from "./modules/uploads.js";

const dropZone = document.getElementById("drop-zone");
const fileInput = document.getElementById("file-input");

dropZone.addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  handleFiles(fileInput.files);
  fileInput.value = "";
});

// Drop anywhere on the page; the drop zone lights up while something is dragged over it.
let dragDepth = 0;
const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
window.addEventListener("dragenter", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth += 1;
  document.body.classList.add("dragging");
});
window.addEventListener("dragover", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = dropZone.disabled ? "none" : "copy";
});
window.addEventListener("dragleave", (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) document.body.classList.remove("dragging");
});
window.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  document.body.classList.remove("dragging");
  if (dropZone.disabled) return;
  handleFiles(event.dataTransfer.files);
});

document.getElementById("dev-user-form").addEventListener("submit", (event) => {
  event.preventDefault();
  submitDevUser();
});

document.getElementById("alerts-dismiss").addEventListener("click", () => {
  clearAlerts();
  dropZone.focus();
});
document.getElementById("load-more").addEventListener("click", () => loadMore());

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") wakeAll();
});

detectIdentity();
