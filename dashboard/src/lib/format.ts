// Words and numbers as a counselor reads them. Days and numbers on the
// charts are the app's words, shared.

export { day, one, WEEKDAYS } from "@steady/charts/words";

const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

export function when(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === "") return "never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateTime.format(d);
}

/// An instant as the patient's own clock showed it: the wall time in the
/// UTC offset the entry was written with ("2026-11-20T23:05:00-07:00" reads
/// "Nov 20, 2026, 11:05 PM (UTC−7)"), whatever the counselor's zone.
export function patientTime(at: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})$/.exec(at);
  const instant = Date.parse(at);
  const sign = m?.[2];
  if (!sign || Number.isNaN(instant)) return at;
  const offset =
    sign === "Z" ? 0 : (sign.startsWith("-") ? -1 : 1) * (Number(sign.slice(1, 3)) * 60 + Number(sign.slice(4, 6)));
  const wall = new Date(instant + offset * 60_000);
  const hours = Math.trunc(Math.abs(offset) / 60);
  const minutes = Math.abs(offset) % 60;
  const zone =
    offset === 0
      ? "UTC"
      : `UTC${offset < 0 ? "\u2212" : "+"}${hours}${minutes ? `:${String(minutes).padStart(2, "0")}` : ""}`;
  return `${wallTime.format(wall)} (${zone})`;
}

const wallTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});


/// "3 hours ago", "2 days ago": how long since a contact.
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "no check-in yet";
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  const days = Math.round(hours / 24);
  return `${days} days ago`;
}
