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
  care_team: "Share with my care team",
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

/** Emotions offered as chips in a check-in; the patient adds their own. */
export const EMOTION_CHOICES = ["anxious", "bored", "stressed", "sad", "lonely", "angry", "ashamed", "restless", "hopeful", "calm"];

/** Substances offered as chips; IOP patients use many, and add their own. */
export const SUBSTANCE_CHOICES = ["alcohol", "opioids", "cannabis", "cocaine", "methamphetamine", "benzodiazepines", "nicotine"];

/** Coping steps offered as chips. */
export const COPING_CHOICES = [
  "urge surfing",
  "called someone",
  "went to a meeting",
  "breathing",
  "went for a walk",
  "played the tape forward",
  "ate something",
  "rested",
];

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
