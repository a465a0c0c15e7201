// Formatting for people: sentences, times, sizes and file names. Pure functions; imports nothing.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Text as a sentence: trimmed, capitalised, ending in a full stop unless it has one. */
export function sentence(text) {
  const s = String(text ?? "").trim();
  if (!s) return "";
  const capital = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** An ISO timestamp as the time of day when it is today, else as a date and time; "" if invalid. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date().toDateString() === date.toDateString();
  return today ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** A file size in B, KB or MB (binary units, one decimal). */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A limit as people write it: whole MiB when it is one, else like a file size. */
export function formatLimit(bytes) {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : formatBytes(bytes);
}

/** The download name of a result: `photo.png` → `photo-grayscale.png`. */
export function grayscaleName(name) {
  const stem = name.toLowerCase().endsWith(".png") ? name.slice(0, -4) : name;
  return `${stem}-grayscale.png`;
}

/** The file name of a Content-Disposition header (filename* first), or null. */
export function dispositionName(header) {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through */
    }
  }
  const plain = header.match(/filename\s*=\s*"([^"]*)"/i);
  return plain ? plain[1] : null;
}
