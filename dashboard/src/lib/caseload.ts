// Triage of a caseload: which patients to show and in what order, and how
// that choice is kept in the page's address so a reload keeps it. The
// server sends the whole caseload (tens of patients), most urgent first.

import type { CaseloadEntry } from "./bindings";

export const SHOWS = [
  { value: "all", label: "All patients" },
  { value: "flagged", label: "Needing attention (has a flag)" },
  { value: "sharing", label: "Sharing" },
  { value: "not-sharing", label: "Not sharing" },
  { value: "quiet-3", label: "No check-in in 3 days" },
  { value: "quiet-7", label: "No check-in in 7 days" },
  { value: "quiet-14", label: "No check-in in 14 days" },
] as const;
export type Show = (typeof SHOWS)[number]["value"];

export const SORTS = [
  { value: "risk", label: "Most urgent first" },
  { value: "craving", label: "Highest last craving first" },
  { value: "quiet", label: "Longest since last check-in first" },
  { value: "recent", label: "Most recent check-in first" },
  { value: "name", label: "Name, A to Z" },
] as const;
export type Sort = (typeof SORTS)[number]["value"];

export type View = { q: string; show: Show; sort: Sort };
export const DEFAULT_VIEW: View = { q: "", show: "all", sort: "risk" };

/// The view a caseload address asks for ("#/?q=ana&show=flagged&sort=craving");
/// anything it does not know falls back to the default.
export function readView(hash: string): View {
  const query = hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "";
  const params = new URLSearchParams(query);
  const show = params.get("show");
  const sort = params.get("sort");
  return {
    q: (params.get("q") ?? "").slice(0, 80),
    show: SHOWS.some((s) => s.value === show) ? (show as Show) : DEFAULT_VIEW.show,
    sort: SORTS.some((s) => s.value === sort) ? (sort as Sort) : DEFAULT_VIEW.sort,
  };
}

/// The caseload's address for a view; the default view is plain "#/".
export function viewHash(view: View): string {
  const params = new URLSearchParams();
  if (view.q.trim()) params.set("q", view.q.trim());
  if (view.show !== DEFAULT_VIEW.show) params.set("show", view.show);
  if (view.sort !== DEFAULT_VIEW.sort) params.set("sort", view.sort);
  const query = params.toString();
  return query ? `#/?${query}` : "#/";
}

/// Lower case without accents, so "jose" finds "José".
function folded(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

function checkinAge(entry: CaseloadEntry, now: number): number {
  const at = entry.last_checkin ? Date.parse(entry.last_checkin) : NaN;
  return Number.isNaN(at) ? Infinity : now - at;
}

function shown(entry: CaseloadEntry, view: View, now: number): boolean {
  if (view.q.trim() && !folded(entry.patient.display_name).includes(folded(view.q.trim()))) {
    return false;
  }
  switch (view.show) {
    case "all":
      return true;
    case "flagged":
      return entry.flags.length > 0;
    case "sharing":
      return entry.sharing;
    case "not-sharing":
      return !entry.sharing;
    default: {
      // What is not shared is not known: only sharing patients are quiet.
      const days = Number(view.show.slice("quiet-".length));
      return entry.sharing && checkinAge(entry, now) > days * 86_400_000;
    }
  }
}

/// The patients a view shows, in its order. "Most urgent first" is the
/// server's order; every other order puts patients who share nothing after
/// those who do (there is nothing to rank them by), and breaks ties by
/// urgency.
export function triage(entries: CaseloadEntry[], view: View, now = Date.now()): CaseloadEntry[] {
  const urgency = new Map(entries.map((e, i) => [e.patient.id, i]));
  const byUrgency = (a: CaseloadEntry, b: CaseloadEntry) =>
    (urgency.get(a.patient.id) ?? 0) - (urgency.get(b.patient.id) ?? 0);
  const sharingFirst = (a: CaseloadEntry, b: CaseloadEntry) => Number(b.sharing) - Number(a.sharing);
  const order: Record<Sort, (a: CaseloadEntry, b: CaseloadEntry) => number> = {
    risk: byUrgency,
    craving: (a, b) =>
      sharingFirst(a, b) || (b.last_craving ?? -1) - (a.last_craving ?? -1) || byUrgency(a, b),
    quiet: (a, b) => sharingFirst(a, b) || checkinAge(b, now) - checkinAge(a, now) || byUrgency(a, b),
    recent: (a, b) => sharingFirst(a, b) || checkinAge(a, now) - checkinAge(b, now) || byUrgency(a, b),
    name: (a, b) =>
      a.patient.display_name.localeCompare(b.patient.display_name, undefined, { sensitivity: "base" }) ||
      byUrgency(a, b),
  };
  return entries.filter((e) => shown(e, view, now)).sort(order[view.sort]);
}

/// "12.5 of 9 hours", "3 hours" (no target): this week's attendance.
export function weekHours(entry: CaseloadEntry): string {
  const week = entry.this_week;
  if (!week) return "—";
  const hours = Math.round((week.attended_minutes / 60) * 10) / 10;
  const unit = (n: number) => (n === 1 ? "hour" : "hours");
  if (week.target_hours === null || week.target_hours === undefined) return `${hours} ${unit(hours)}`;
  return `${hours} of ${week.target_hours} ${unit(week.target_hours)}`;
}
