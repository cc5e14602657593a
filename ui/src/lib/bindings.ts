// Generated from the Rust types by crates/core/tests/bindings.rs.
// Do not edit: run `cargo xtask bindings` after changing those types.

export type RecordId = string;

export type Visibility = "private" | "care_team";

export type RecordKind = "checkin" | "trigger";

export type Entry<T> = { id: RecordId, data: T, };

export type Craving = number;

export type Mood = number;

export type Halt = { hungry: boolean, angry: boolean, lonely: boolean, tired: boolean, };

export type Outcome = "resisted" | "used" | "unsure";

export type CheckInDraft = { 
/**
 * When; empty means now, in the device's current UTC offset.
 */
at?: string | null, craving: number, mood?: number | null, emotions: Array<string>, halt: Halt, substances: Array<string>, trigger_ids: Array<RecordId>, 
/**
 * Where the patient was.
 */
place: string, 
/**
 * Who they were with.
 */
company: string, coping: Array<string>, outcome?: string | null, note: string, visibility: Visibility, };

export type CheckIn = { 
/**
 * The instant, with the UTC offset the patient logged it in.
 */
at: string, craving: Craving, mood: Mood | null, 
/**
 * Named emotions, in the patient's words.
 */
emotions: Array<string>, halt: Halt, substances: Array<string>, trigger_ids: Array<RecordId>, place: string, company: string, coping: Array<string>, outcome: Outcome | null, note: string, visibility: Visibility, };

export type TriggerCategory = "people" | "places" | "things" | "emotions" | "situations" | "physical_state" | "time_date";

export type Intensity = number;

export type TriggerDraft = { at?: string | null, category: string, description: string, intensity: number, 
/**
 * What the patient did about it.
 */
response: string, checkin_id?: RecordId | null, visibility: Visibility, };

export type TriggerEntry = { at: string, category: TriggerCategory, description: string, intensity: Intensity, response: string, 
/**
 * The check-in this trigger was logged with, if any.
 */
checkin_id: RecordId | null, visibility: Visibility, };

export type FieldError = { 
/**
 * The field's name as the draft spells it (`craving`, `description`, ...).
 */
field: string, 
/**
 * What is wrong and how to fix it, in plain words.
 */
message: string, };

export type ErrorReport = { "kind": "invalid", message: string, fields: Array<FieldError>, } | { "kind": "not_found", message: string, } | { "kind": "storage", message: string, };

export type ListQuery = { 
/**
 * Earliest instant included.
 */
from?: string | null, 
/**
 * First instant excluded.
 */
to?: string | null, 
/**
 * Page size, 1 to [`ListQuery::MAX_LIMIT`]; 0 means the default.
 */
limit: number, 
/**
 * Where the previous page ended.
 */
after?: PageCursor | null, };

export type PageCursor = string;

export type Page<T> = { items: Array<T>, next?: PageCursor | null, };
