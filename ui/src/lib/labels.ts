// Words for the values the Rust types allow. `Record<Union, string>` makes
// the type check fail if a new value is added in Rust and not named here.

import type { AttendanceStatus, Day, EventKind, LevelOfCare, Outcome, TriggerCategory, Visibility } from "./bindings";

export const outcomeLabels: Record<Outcome, string> = {
  resisted: "Rode it out",
  used: "Used",
  unsure: "Not sure yet",
};

export const categoryLabels: Record<TriggerCategory, string> = {
  people: "People",
  places: "Places",
  things: "Things",
  emotions: "Emotions",
  situations: "Situations",
  physical_state: "Physical state",
  time_date: "Time or date",
};

export const visibilityLabels: Record<Visibility, string> = {
  care_team: "Share with my care team (only once I consent to sharing)",
  private: "Keep on this device only",
};

export const cravingWords = [
  "none",
  "barely there",
  "slight",
  "mild",
  "noticeable",
  "moderate",
  "strong",
  "very strong",
  "intense",
  "severe",
  "the strongest I can imagine",
] as const;

/** "alcohol, cannabis" -> ["alcohol", "cannabis"]. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function joinList(items: string[]): string {
  return items.join(", ");
}

export const eventKindLabels: Record<EventKind, string> = {
  twelve_step: "12-step meeting",
  education: "Education class",
  relapse_prevention: "Relapse-prevention group",
  skills_group: "Skills group",
  individual: "Individual counseling",
  medication: "Medication appointment",
  other: "Other",
};

export const levelLabels: Record<LevelOfCare, string> = {
  php: "Partial hospitalization (PHP)",
  iop: "Intensive outpatient (IOP)",
  op: "Outpatient (OP)",
  aftercare: "Aftercare",
};

export const attendanceLabels: Record<AttendanceStatus, string> = {
  attended: "Attended",
  missed: "Missed",
  excused: "Excused",
};

export const dayLabels: Record<Day, string> = {
  MO: "Mon",
  TU: "Tue",
  WE: "Wed",
  TH: "Thu",
  FR: "Fri",
  SA: "Sat",
  SU: "Sun",
};
