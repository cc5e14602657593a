// Words for the sync state, shared by the header and the settings screen.

import { SHAREABLE_KINDS, type RecordKind, type SyncStatus } from "./bindings";
import { dateWords } from "./time";

/** How the consent names each kind a patient can share. */
const SHARE_LABELS: Partial<Record<RecordKind, string>> = {
  checkin: "Check-ins: cravings, moods, HALT, notes",
  trigger: "Trigger log",
  worksheet: "Worksheets",
  plan: "Relapse-prevention plan",
  event: "Schedule: groups, classes, appointments",
  attendance: "Attendance",
  program: "Program: level of care and weekly hours",
  journal: "Journal entries you mark as shared (they are private unless you do)",
};

/** The kinds a patient can share (steady-model's list), in the order the consent lists them. */
export const SHARE_KINDS: { kind: RecordKind; label: string }[] = SHAREABLE_KINDS.map((kind) => ({
  kind,
  label: SHARE_LABELS[kind] ?? kind,
}));

export function kindLabel(kind: string): string {
  return SHARE_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

/**
 * Where an entry of `kind` marked for the care team goes today, in words
 * true to the sharing state: "sent to Riverside IOP", or why it stays here.
 */
export function sharedWhere(s: SyncStatus | null, kind: RecordKind): string {
  if (!s) return "shared with your care team when you share with them";
  if (!s.paired) return "stays on this device until you pair with your clinic (Settings)";
  if (!s.consent) return "stays on this device: sharing is off (Settings)";
  if (!s.consent.kinds.includes(kind)) return `stays on this device: you do not share ${(SHARE_LABELS[kind] ?? kind).split(":")[0]!.toLocaleLowerCase()}`;
  return `shared with ${s.consent.recipient}`;
}

/** "just now", "5 minutes ago", "3 hours ago", "on 2026-11-20". */
export function ago(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const minutes = Math.floor((now.getTime() - then.getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  return `on ${dateWords(then)}`;
}

/** One line for the header: whether records reach the clinic, and if not why. */
export function syncLine(s: SyncStatus | null, now: Date = new Date()): { text: string; problem: boolean } {
  if (!s) return { text: "", problem: false };
  if (!s.paired) return { text: "Not shared with a clinic", problem: false };
  if (!s.consent) return { text: "Sharing is off", problem: false };
  const waiting = s.pending ? ` · ${s.pending} waiting to send` : "";
  if (s.log.last_error) return { text: `Not synced: ${s.log.last_error}${waiting}`, problem: true };
  if (s.log.last_success) return { text: `Synced ${ago(s.log.last_success, now)}${waiting}`, problem: false };
  return { text: `Not synced yet${waiting}`, problem: false };
}
