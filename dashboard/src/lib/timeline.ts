// The patient's own entries — check-ins and triggers — as one timeline, in
// the words the app uses, newest first.

import { categoryLabels, cravingWords, outcomeLabels } from "@steady/labels";
import type { PatientRecord } from "./api";
import { field, str } from "./records";

type Outcome = keyof typeof outcomeLabels;
type TriggerCategory = keyof typeof categoryLabels;

export type Entry = {
  id: string;
  kind: "checkin" | "trigger";
  /** As written, with the patient's UTC offset. */
  at: string;
  instant: number;
  /** A check-in whose craving ended in use. */
  lapse: boolean;
  title: string;
  /** Label and value, only for what the patient filled in. */
  details: [string, string][];
  /** The patient's own words. */
  note: string;
};

const list = (r: PatientRecord, path: string): string[] =>
  (field<unknown[]>(r, path) ?? []).filter((x): x is string => typeof x === "string" && x !== "");

function checkin(r: PatientRecord): Entry {
  const craving = field<number>(r, "craving");
  const mood = field<number | null>(r, "mood");
  const halt = field<Record<string, boolean>>(r, "halt") ?? {};
  const outcome = field<Outcome | null>(r, "outcome");
  const details: [string, string][] = [];
  if (typeof craving === "number") {
    details.push(["Craving", `${craving} of 10 (${cravingWords[craving] ?? "?"})`]);
  }
  if (typeof mood === "number") details.push(["Mood", `${mood > 0 ? "+" : ""}${mood} (−5 very low to +5 very good)`]);
  const felt = (["hungry", "angry", "lonely", "tired"] as const).filter((k) => halt[k]);
  if (felt.length) details.push(["HALT", felt.map((k) => k.charAt(0).toUpperCase() + k.slice(1)).join(", ")]);
  for (const [label, path] of [
    ["Emotions", "emotions"],
    ["Substances", "substances"],
  ] as const) {
    const items = list(r, path);
    if (items.length) details.push([label, items.join(", ")]);
  }
  if (str(r, "place")) details.push(["Where", str(r, "place")]);
  if (str(r, "company")) details.push(["With", str(r, "company")]);
  const coping = list(r, "coping");
  if (coping.length) details.push(["Coping", coping.join(", ")]);
  if (outcome) details.push(["Outcome", outcomeLabels[outcome] ?? outcome]);
  const lapse = outcome === "used";
  return {
    id: r.id,
    kind: "checkin",
    at: str(r, "at"),
    instant: Date.parse(str(r, "at")),
    lapse,
    title: lapse ? "Check-in — lapse reported" : "Check-in",
    details,
    note: str(r, "note"),
  };
}

function trigger(r: PatientRecord): Entry {
  const category = str(r, "category") as TriggerCategory;
  const intensity = field<number>(r, "intensity");
  const details: [string, string][] = [];
  if (typeof intensity === "number") details.push(["Intensity", `${intensity} of 10`]);
  if (str(r, "response")) details.push(["What they did", str(r, "response")]);
  return {
    id: r.id,
    kind: "trigger",
    at: str(r, "at"),
    instant: Date.parse(str(r, "at")),
    lapse: false,
    title: `Trigger: ${categoryLabels[category] ?? category}`,
    details,
    note: str(r, "description"),
  };
}

/** Check-ins and triggers, newest first; unreadable and withdrawn records
 *  are left out (the page counts them). */
export function timeline(checkins: PatientRecord[], triggers: PatientRecord[]): Entry[] {
  const usable = (r: PatientRecord) => !r.unreadable && !r.withdrawn;
  return [...checkins.filter(usable).map(checkin), ...triggers.filter(usable).map(trigger)].sort(
    (a, b) => b.instant - a.instant || a.id.localeCompare(b.id),
  );
}
