// Generated from the Rust types by tests/bindings.rs.
// Do not edit: run `cargo xtask bindings` after changing those types.

export type RecordKind = "checkin" | "trigger" | "event" | "program" | "attendance" | "worksheet" | "plan" | "assignment" | "message" | "reply" | "journal";

export type Role = "counselor" | "admin";

export type User = { id: string, clinic_id: string, email: string, name: string, role: Role, };

export type Stage = "signed_in" | "second_factor" | "enrol";

export type SignedIn = { user: User, csrf_token: string, stage: Stage, };

export type CurrentSession = { user: User, csrf_token: string, stage: Stage, idle_seconds: number, };

export type SecondFactorCode = { code: string, 
/**
 * Skip the code on this browser for the next 12 hours.
 */
remember_browser: boolean, };

export type NewSecondFactor = { 
/**
 * The secret in base32, for typing into the app.
 */
secret: string, 
/**
 * The `otpauth://totp/...` address the QR code shows.
 */
otpauth_url: string, };

export type RecoveryCodes = { recovery_codes: Array<string>, };

export type SecondFactorStatus = { enrolled: boolean, required: boolean, recovery_codes_left: number, };

export type ClinicSecondFactor = { counselors: boolean, };

export type Patient = { id: string, counselor_id: string, display_name: string, created_ms: number, };

export type RiskFlag = "lapse" | "high_craving" | "missed_group" | "no_check_in";

export type CaseloadEntry = { patient: Patient, 
/**
 * Whether the patient's consent to share is in force; without it
 * nothing else is shown.
 */
sharing: boolean, 
/**
 * Most urgent first: lapse, high_craving, missed_group, no_check_in.
 */
flags: Array<RiskFlag>, 
/**
 * The flags in words, in the same order.
 */
flag_labels: Array<string>, 
/**
 * When the last check-in was logged (RFC 3339, the patient's offset).
 */
last_checkin: string | null, 
/**
 * The craving (0 to 10) of the last check-in.
 */
last_craving?: number | null, 
/**
 * This week (Monday to Sunday on the patient's clock): the hours
 * attended, against the program's weekly target when it is shared.
 */
this_week?: WeekAttendance | null, 
/**
 * Replies from the patient the care team has not read yet.
 */
unread_replies: number, 
/**
 * Stored check-ins and attendance marks that could not be read, left
 * out of the flags.
 */
unreadable: number, };

export type PairingCode = { 
/**
 * Ten characters, shown as two groups of five.
 */
code: string, expires_at: string, };

export type Device = { id: string, label: string, created_ms: number, 
/**
 * Set once the device is revoked; its token no longer works.
 */
revoked_ms: number | null, };

export type ClinicDevice = { patient_id: string, patient_name: string, counselor_name: string, id: string, label: string, created_ms: number, 
/**
 * Set once the device is revoked; its token no longer works.
 */
revoked_ms: number | null, };

export type TriggerCategory = "people" | "places" | "things" | "emotions" | "situations" | "physical_state" | "time_date";

export type DayCraving = { date: string, checkins: number, 
/**
 * Mean craving that day (0 to 10); none without a check-in.
 */
mean: number | null, max: number | null, };

export type HeatCell = { weekday: string, 
/**
 * The hour of the day, 0 to 23.
 */
hour: number, checkins: number, mean_craving: number | null, };

export type TriggerCount = { category: TriggerCategory, entries: number, mean_intensity: number, };

export type HaltCounts = { checkins: number, hungry: number, angry: number, lonely: number, tired: number, };

export type WeekAttendance = { 
/**
 * The Monday the week starts on.
 */
week_start: string, attended_minutes: number, sessions_attended: number, sessions_missed: number, target_hours: number | null, 
/**
 * Whether the attended hours reached the target (none without one).
 */
target_met: boolean | null, };

export type CopingResult = { 
/**
 * The strategy in the patient's words, as they last wrote it.
 */
strategy: string, 
/**
 * Check-ins that named it.
 */
uses: number, 
/**
 * Of those, the ones whose craving passed without use ("resisted").
 */
passed: number, 
/**
 * Of those, the ones that ended in use.
 */
used: number, 
/**
 * Of those, the ones unsure or without an outcome.
 */
unknown: number, };

export type Insights = { from: string, to: string, days: number, shared_kinds: Array<string>, 
/**
 * Each day, oldest first: check-ins, mean and highest craving.
 */
trend: Array<DayCraving>, 
/**
 * 168 cells, Monday 00:00 first: check-ins and mean craving.
 */
heatmap: Array<HeatCell>, top_triggers: Array<TriggerCount>, halt: HaltCounts, 
/**
 * Each week (Monday start) the window touches: attended minutes and
 * sessions against the program's weekly target.
 */
weeks: Array<WeekAttendance>, 
/**
 * Each coping strategy named, with how often the craving passed
 * without use afterwards.
 */
helped: Array<CopingResult>, 
/**
 * Stored records that could not be read, left out of every figure.
 */
unreadable: number, 
/**
 * Records the patient withdrew (made private after sharing), left out
 * of every figure; the server keeps nothing of them.
 */
withdrawn: number, };

export type PatientRecord = { id: string, kind: string, fields: Record<string, unknown>, 
/**
 * The stored record could not be read (damaged, or from a version with
 * other rules); its fields are left out.
 */
unreadable: boolean, 
/**
 * The patient withdrew it (made it private after sharing it): the
 * server keeps none of its contents.
 */
withdrawn: boolean, };

export type ItemType = "group" | "display" | "string" | "text" | "integer" | "boolean" | "choice";

export type AnswerOption = { code: string, display: string, 
/**
 * A line that explains the option (a cognitive distortion, say).
 */
explanation?: string, 
/**
 * Points this answer adds to the template's total, for scored scales.
 */
score?: number, };

export type Item = { 
/**
 * Unique within the template; answers are stored under it.
 */
linkId: string, type: ItemType, text: string, 
/**
 * A hint shown under the question.
 */
help?: string, 
/**
 * Must be answered before the worksheet can be marked complete.
 */
required: boolean, 
/**
 * May be answered more than once (several moods, several thoughts).
 */
repeats: boolean, 
/**
 * The items of a group.
 */
item: Array<Item>, answerOption: Array<AnswerOption>, minValue?: number, maxValue?: number, 
/**
 * For a yes/no item inside a repeating group: at most one instance may
 * say yes (the one "hot" thought of a thought record).
 */
exclusive: boolean, 
/**
 * The words that stand in for this item's answer in the texts after
 * it: `{linkId}` in a later question, hint or option reads as the
 * patient's answer ("fentanyl"), and as these words ("the substance")
 * until it is given and in the exported Questionnaire. Only a required
 * top-level short-text item may fill in.
 */
fillsIn?: string, };

export type ScoreRule = { 
/**
 * What the total is called ("PACS total (0-30)").
 */
text: string, };

export type Questionnaire = { 
/**
 * Lower-case letters, digits and dashes; names the template everywhere.
 */
id: string, version: string, title: string, description: string, 
/**
 * Where the form comes from, so a counselor can check it is faithful.
 */
source: string, score?: ScoreRule, item: Array<Item>, };

export type AuditEntry = { id: number, at_ms: number, 
/**
 * The staff account that read; empty when the patient's device acted
 * (withdrawing a record).
 */
actor_id: string, 
/**
 * Its name, for people reading the log.
 */
actor_name: string, 
/**
 * Whose data was read.
 */
patient_id: string, 
/**
 * How the counselor knows the patient.
 */
patient_name: string, action: string, detail: string, };

export type AuditQuery = { patient_id?: string, actor_id?: string, 
/**
 * The exact action, e.g. `read records`.
 */
action?: string, 
/**
 * Entries at or after this instant (RFC 3339).
 */
from?: string, 
/**
 * Entries before this instant (RFC 3339).
 */
to?: string, 
/**
 * 1 to 1000; 200 by default.
 */
limit: number, };

export type Written = { id: string, kind: string, fields: Record<string, unknown>, };

export type GroupSessions = { 
/**
 * One per patient, in the order asked.
 */
sessions: Array<Written>, };

export type RepliesRead = { marked: number, };

/** The kinds a patient may share, in the order the consent asks about them. */
export const SHAREABLE_KINDS: readonly RecordKind[] = ["checkin", "trigger", "worksheet", "plan", "event", "attendance", "program", "journal"];

/** The kinds only the care team writes. */
export const CARE_TEAM_KINDS: readonly RecordKind[] = ["message", "assignment"];
