// Numbers and days as the charts say them: one source for the app's
// insights and the counselor's dashboard, which imports the charts.

const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** A calendar date ("2026-11-20"), read as local midnight, not UTC. */
export function day(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00`);
  return Number.isNaN(d.getTime()) ? isoDate : dateOnly.format(d);
}

/** One decimal, or a dash for nothing. */
export function one(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toFixed(1);
}

export const WEEKDAYS = [
  ["Mon", "Monday"],
  ["Tue", "Tuesday"],
  ["Wed", "Wednesday"],
  ["Thu", "Thursday"],
  ["Fri", "Friday"],
  ["Sat", "Saturday"],
  ["Sun", "Sunday"],
] as const;

/** "Fri" as "Friday". */
export function longDay(short: string): string {
  return WEEKDAYS.find(([s]) => s === short)?.[1] ?? short;
}

/** 7 as "07:00". */
export function hour(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}
