// The words of the progress screen: kind, specific, and never a verdict.
// A slip is information; a missed day is a day to start again.

import type { CopingResult, Milestone, ProgramProgress, Streak, UseFree } from "./bindings";
import { levelLabels } from "./labels";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A chip's name, as groups hand them out. */
export function chipLabel(days: number): string {
  if (days === 1) return "24 hours";
  if (days === 180) return "6 months";
  if (days === 365) return "1 year";
  return `${days} days`;
}

export function counterLabel(m: Milestone): string {
  return m.counter === "checkin_streak" ? "days of check-ins in a row" : "without use";
}

/** "New chip: 30 days without use." */
export function celebration(m: Milestone): string {
  return m.counter === "checkin_streak"
    ? `New chip: ${chipLabel(m.days)} of check-ins in a row.`
    : `New chip: ${chipLabel(m.days)} without use.`;
}

export function streakWords(s: Streak): { headline: string; detail: string } {
  if (s.current === 0) {
    return {
      headline: "Start again today",
      detail:
        s.longest > 0
          ? `Your streak paused. One check-in today starts a new one; your longest run is ${plural(s.longest, "day")}.`
          : "One check-in today starts your streak.",
    };
  }
  const next = s.next_milestone ? ` ${plural(s.next_milestone - s.current, "more day")} to your ${chipLabel(s.next_milestone)} chip.` : "";
  return {
    headline: `${plural(s.current, "day")} in a row with a check-in`,
    detail: s.checked_in_today
      ? `You checked in today.${next}`
      : `Check in today to make it ${s.current + 1}.${next}`,
  };
}

export function useFreeWords(u: UseFree): { headline: string; detail: string } {
  const month = `you have ${plural(u.this_month, "day")} without use this month`;
  if (u.last_use !== null && u.current < u.longest) {
    // After a slip: the new count, with what was kept beside it.
    return {
      headline: u.current === 0 ? "Today is a new start" : `${plural(u.current, "day")} without use`,
      detail: `A slip is information. Your longest stretch is still ${plural(u.longest, "day")}, and ${month}.`,
    };
  }
  const next = u.next_milestone ? ` ${plural(u.next_milestone - u.current, "more day")} to your ${chipLabel(u.next_milestone)} chip.` : "";
  return {
    headline: `${plural(u.current, "day")} without use`,
    detail: `Counting since ${u.since ?? u.counting_from}; ${month}.${next}`,
  };
}

export function programWords(p: ProgramProgress): { headline: string; detail: string } {
  const level = levelLabels[p.level];
  const hours = (minutes: number) => Math.round((minutes / 60) * 10) / 10;
  const headline =
    p.week === 0
      ? `${level} starts on ${p.start}`
      : p.planned_weeks
        ? `Week ${p.week} of ${p.planned_weeks} in ${level}`
        : `Week ${p.week} in ${level}`;
  const levelNote =
    p.level_hours !== null && p.level_hours !== p.target_hours ? ` (${level} means at least ${p.level_hours} a week)` : "";
  return {
    headline,
    detail: `This week: ${hours(p.this_week_minutes)} of ${p.target_hours} hours${levelNote}. Since the start: ${plural(p.sessions_attended, "session")}, ${hours(p.total_minutes)} hours.`,
  };
}

/** "8 of 10 times": the counts beside the share, so two uses read as two. */
export function helpedWords(h: CopingResult): string {
  const base = `the craving passed without use ${h.passed} of ${plural(h.uses, "time")}`;
  return h.uses < 5 ? `${base} — too few yet to call it a pattern` : `${base} (${Math.round((100 * h.passed) / h.uses)}%)`;
}
