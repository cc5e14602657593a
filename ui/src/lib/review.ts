// The weekly review's words: the screen's table and the journal entry the
// patient can save from it say the same things.

import type { WeekFigures, WeeklyReview } from "./bindings";
import { categoryLabels } from "./labels";
import { day, one } from "../components/charts/words";

export type Row = { label: string; thisWeek: string; lastWeek: string };

const hours = (minutes: number) => one(minutes / 60);

export function weekSpan(w: WeekFigures): string {
  const sunday = new Date(`${w.week_start}T00:00:00`);
  sunday.setDate(sunday.getDate() + 6);
  const iso = `${sunday.getFullYear()}-${String(sunday.getMonth() + 1).padStart(2, "0")}-${String(sunday.getDate()).padStart(2, "0")}`;
  return `${day(w.week_start)} to ${day(iso)}`;
}

export function rows(r: WeeklyReview): Row[] {
  const target = r.target_hours === null ? "" : ` of ${r.target_hours}`;
  const pair = (f: (w: WeekFigures) => string) => ({ thisWeek: f(r.this_week), lastWeek: f(r.last_week) });
  return [
    { label: "Check-ins", ...pair((w) => String(w.checkins)) },
    { label: "Average craving (0–10)", ...pair((w) => one(w.mean_craving)) },
    { label: "Strongest craving", ...pair((w) => (w.max_craving === null ? "—" : String(w.max_craving))) },
    { label: "Groups and sessions attended", ...pair((w) => String(w.sessions_attended)) },
    { label: `Hours attended${target ? ` (target ${r.target_hours})` : ""}`, ...pair((w) => `${hours(w.attended_minutes)}${target}`) },
    { label: "Worksheets done", ...pair((w) => String(w.worksheets_done)) },
  ];
}

export function topTrigger(r: WeeklyReview): string {
  const t = r.top_trigger;
  if (!t) return "No triggers logged this week.";
  return `${categoryLabels[t.category]}: ${t.entries} ${t.entries === 1 ? "time" : "times"} this week.`;
}

export function helpedMost(r: WeeklyReview): string {
  const h = r.helped_most;
  if (!h) return "No coping step noted with how the craving ended yet.";
  const when = r.helped_days === 7 ? "this week" : "in the last four weeks";
  return `${h.strategy}: the craving passed without use ${h.passed} of ${h.uses} ${h.uses === 1 ? "time" : "times"} ${when}.`;
}

/** The review as a journal entry's title and text. */
export function asJournal(r: WeeklyReview): { title: string; text: string } {
  const lines = [
    `This week against last week (${weekSpan(r.last_week)}):`,
    ...rows(r).map((row) => `- ${row.label}: ${row.thisWeek} (last week ${row.lastWeek})`),
    `Top trigger: ${topTrigger(r)}`,
    `What helped most: ${helpedMost(r)}`,
  ];
  if (r.reason) lines.push(`My reason: ${r.reason}`);
  return { title: `My week, ${weekSpan(r.this_week)}`, text: lines.join("\n") };
}
