// Times as the patient lived them. An entry's `at` is RFC 3339 with the UTC
// offset it was logged in, so its own date and clock time are read from the
// text: a check-in made at 23:30 in Denver stays on that day wherever the
// history is opened later.

/** "2026-11-27" for an entry's `at`. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

/** "23:30" for an entry's `at`. */
export function timeOf(at: string): string {
  return at.slice(11, 16);
}

/** "Friday, 27 November 2026" for "2026-11-27". */
export function dayHeading(day: string, locale?: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(date);
}

/** Groups entries by their day, keeping the given (newest-first) order. */
export function groupByDay<T extends { data: { at: string } }>(entries: T[]): { day: string; entries: T[] }[] {
  const groups: { day: string; entries: T[] }[] = [];
  for (const entry of entries) {
    const day = dayOf(entry.data.at);
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.entries.push(entry);
    else groups.push({ day, entries: [entry] });
  }
  return groups;
}

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, "0");
}

/** The value of a datetime-local input ("2026-11-27T23:30") for an `at`. */
export function toLocalInput(at: string): string {
  return at.slice(0, 16);
}

/** The value of a datetime-local input for `date` in this device's zone. */
export function localInputFromDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * RFC 3339 with this device's UTC offset for that moment, from a
 * datetime-local value; null when the input is empty or not a date.
 */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${localInputFromDate(date)}:${pad(date.getSeconds())}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** Start and end (exclusive) of the device's current day, as ISO instants. */
export function todayRange(now = new Date()): { from: string; to: string } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return { from: start.toISOString(), to: end.toISOString() };
}

/** "2026-11-27" for a Date, in this device's zone. */
export function isoDay(date: Date): string {
  return localInputFromDate(date).slice(0, 10);
}

/**
 * An instant in the one date style the app uses, on this device's clock:
 * "Friday, 27 November 2026" (with ", 18:05" when `withTime`).
 */
export function dateWords(at: string | Date, withTime = false, locale?: string): string {
  const date = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  const local = localInputFromDate(date);
  return withTime ? `${dayHeading(local.slice(0, 10), locale)}, ${local.slice(11, 16)}` : dayHeading(local.slice(0, 10), locale);
}

/** Monday of the week that holds `date`, at local midnight. */
export function mondayOf(date: Date): Date {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

/** `date` moved by `days` calendar days (local midnight stays midnight across DST). */
export function addDays(date: Date, days: number): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

/** "in 2 h 5 min", "in 4 min", "now" for the time until `start`. */
export function countdown(start: string, now = new Date()): string {
  const minutes = Math.ceil((new Date(start).getTime() - now.getTime()) / 60000);
  if (minutes <= 0) return "now";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.round(hours / 24)} days`;
}

/** A datetime-local value ("2026-11-27T18:00") as the NaiveDateTime the Rust side reads. */
export function naiveFromInput(value: string): string | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return null;
  return value.length === 16 ? `${value}:00` : value;
}
