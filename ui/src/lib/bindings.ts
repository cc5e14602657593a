// Generated from the Rust types by tests/bindings.rs.
// Do not edit: run `cargo xtask bindings` after changing those types.

export type RecordId = string;

export type Visibility = "private" | "care_team";

export type RecordKind = "checkin" | "trigger" | "event" | "program" | "attendance" | "worksheet" | "plan" | "assignment" | "message" | "reply" | "journal";

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

export type EventKind = "twelve_step" | "education" | "relapse_prevention" | "skills_group" | "individual" | "medication" | "other";

export type Frequency = "daily" | "weekly" | "monthly";

export type Day = "MO" | "TU" | "WE" | "TH" | "FR" | "SA" | "SU";

export type Recurrence = { frequency: Frequency, 
/**
 * Every `interval` days, weeks or months; at least 1.
 */
interval: number, 
/**
 * Weekly: the days it falls on (empty: the start's weekday). Monthly:
 * the weekdays it falls on, all of them in the month or the ones `nth`
 * names (empty: the start's day of the month).
 */
by_day: Array<Day>, 
/**
 * Monthly with `by_day`: which of those weekdays of the month, 1 to 5
 * from the month's start or -1 to -5 from its end; the 1st and 3rd
 * Thursday are `by_day` [TH] with `nth` [1, 3]. Empty: every one.
 */
nth: Array<number>, 
/**
 * How many occurrences in all.
 */
count?: number | null, 
/**
 * The last local start the series may have, in the event's zone. A date
 * alone (as the app's form gives it) means the end of that day.
 */
until?: string | null, 
/**
 * The day weeks start on (RFC 5545's WKST), which decides the weeks of a
 * series repeating every 2 or more weeks on several days.
 */
week_start: Day, };

export type OccurrenceChange = { "change": "cancelled" } | { "change": "moved", 
/**
 * The new local start, in the event's zone.
 */
start: string, duration_minutes: number, };

export type Exception = { occurrence: string, } & ({ "change": "cancelled" } | { "change": "moved", 
/**
 * The new local start, in the event's zone.
 */
start: string, duration_minutes: number, });

export type EventDraft = { title: string, kind: string, place: string, link: string, start?: string | null, zone: string, duration_minutes: number, recurrence?: Recurrence | null, exceptions: Array<Exception>, added: Array<string>, all_day: boolean, source?: MeetingSource | null, 
/**
 * Empty means the defaults, 60 and 15 minutes.
 */
reminder_minutes: Array<number>, visibility: Visibility, };

export type Skipped = { line: number, title: string, reason: string, };

export type ImportSummary = { added: number, skipped: Array<Skipped>, };

export type MeetingSource = { 
/**
 * The feed's name as the patient knows it (its address or file name).
 */
feed: string, slug: string, 
/**
 * The meeting's day this event is (0 Sunday to 6 Saturday).
 */
day: number, };

export type AttendanceOption = "in_person" | "online" | "hybrid";

export type TimeOfDay = "morning" | "afternoon" | "evening" | "night";

export type Meeting = { 
/**
 * The feed's key for the meeting, unique within the feed.
 */
slug: string, name: string, 
/**
 * The days it meets, Sunday first as the feed counts (0 Sunday to 6
 * Saturday); empty for a meeting by appointment.
 */
days: Array<number>, time?: string | null, end_time?: string | null, 
/**
 * The meeting's IANA zone; the feed's default where it gives none.
 */
timezone: string, 
/**
 * Meeting Guide's type codes ("O" open, "W" women, "S" Spanish, ...).
 */
types: Array<string>, location: string, 
/**
 * The street address, as the feed gives it or put together from its parts.
 */
address: string, 
/**
 * The address is only an area (an online meeting's origin).
 */
approximate: boolean, conference_url: string, conference_phone: string, notes: string, url: string, group: string, region: string, };

export type MeetingFilter = { 
/**
 * 0 Sunday to 6 Saturday.
 */
day?: number | null, time_of_day?: TimeOfDay | null, 
/**
 * In person also finds hybrid meetings, online too.
 */
attendance?: AttendanceOption | null, 
/**
 * Type codes the meeting must all have.
 */
types: Array<string>, 
/**
 * Words in the name, place, address, group, region or notes.
 */
text: string, };

export type FoundMeeting = { feed: string, meeting: Meeting, attendance?: AttendanceOption | null, on_schedule: Array<number>, };

export type MeetingSearch = { found: Array<FoundMeeting>, total: number, };

export type FeedInfo = { name: string, read_at: string, meetings: number, };

export type FeedReport = { name: string, meetings: number, 
/**
 * Titles of series on the schedule moved to a new time from this week.
 */
moved: Array<string>, 
/**
 * Titles of series whose name, place, link or length changed.
 */
changed: Array<string>, 
/**
 * Titles of series whose meeting the feed no longer lists on that day
 * (kept on the schedule).
 */
gone: Array<string>, };

export type Event = { title: string, kind: EventKind, 
/**
 * A street address or room.
 */
place: string, 
/**
 * A video link (https), for sessions held online.
 */
link: string, 
/**
 * The local start in `zone`.
 */
start: string, 
/**
 * The IANA zone the program keeps time in, e.g. "America/Denver".
 */
zone: string, duration_minutes: number, recurrence?: Recurrence | null, exceptions: Array<Exception>, 
/**
 * Sessions added outside the rule (RFC 5545's RDATE), as local starts
 * in `zone`, each lasting `duration_minutes`.
 */
added: Array<string>, 
/**
 * A day-long event: it starts at 00:00 and lasts whole days
 * (`duration_minutes` is 1440 times the days).
 */
all_day: boolean, 
/**
 * The Meeting Guide feed and meeting this series was added from, so
 * that a newer feed can update it.
 */
source?: MeetingSource | null, 
/**
 * Minutes before the start to remind, largest first.
 */
reminder_minutes: Array<number>, visibility: Visibility, };

export type QuietHours = { start: string, end: string, };

export type LevelOfCare = "php" | "iop" | "op" | "aftercare";

export type LevelChange = { on: string, from: LevelOfCare, to: LevelOfCare, };

export type ProgramDraft = { level: string, clinic: string, start?: string | null, planned_end?: string | null, adolescent: boolean, 
/**
 * Empty means ASAM's hours for the level.
 */
weekly_hours_target?: number | null, history: Array<LevelChange>, visibility: Visibility, };

export type Program = { level: LevelOfCare, clinic: string, start: string, planned_end?: string | null, adolescent: boolean, 
/**
 * Hours of sessions a week the program asks for.
 */
weekly_hours_target: number, 
/**
 * Earlier levels and when they changed, oldest first.
 */
history: Array<LevelChange>, visibility: Visibility, };

export type AttendanceStatus = "attended" | "missed" | "excused";

export type Attendance = { event_id: RecordId, 
/**
 * The occurrence's original local start (names it even if moved).
 */
occurrence: string, 
/**
 * When the occurrence started.
 */
at: string, status: AttendanceStatus, 
/**
 * Minutes attended; 0 unless attended.
 */
minutes: number, visibility: Visibility, };

export type AttendanceMark = { event_id: RecordId, occurrence: string, status: string, 
/**
 * Empty means the whole session.
 */
minutes?: number | null, };

export type OccurrenceView = { event_id: RecordId, title: string, kind: EventKind, place: string, link: string, 
/**
 * The original local start, which names the occurrence.
 */
occurrence: string, 
/**
 * Start and end, RFC 3339 in the device's zone.
 */
start: string, end: string, moved: boolean, attendance?: AttendanceStatus | null, };

export type WeekHours = { week_start: string, attended_minutes: number, scheduled_minutes: number, target_hours?: number | null, };

export type ReminderSettings = { 
/**
 * A daily prompt to check in, at this local time.
 */
daily_checkin?: string | null, quiet_hours?: QuietHours | null, 
/**
 * Show session titles and places in notifications. Off by default,
 * because a lock screen is seen by others.
 */
detailed_wording: boolean, 
/**
 * "Your week in Steady is ready": on by default, Sunday 18:00; none
 * when turned off.
 */
weekly_review?: WeeklyReviewTime | null, };

export type FieldError = { 
/**
 * The field's name as the draft spells it (`craving`, `description`, ...).
 */
field: string, 
/**
 * What is wrong and how to fix it, in plain words.
 */
message: string, };

export type ErrorReport = { "kind": "invalid", message: string, fields: Array<FieldError>, } | { "kind": "not_found", message: string, } | { "kind": "storage", message: string, } | { "kind": "locked", message: string, };

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

export type AnswerValue = boolean | number | string | Answers;

export type Answers = { [key in string]: Array<AnswerValue> };

export type WorksheetStatus = "draft" | "complete" | "reviewed";

export type WorksheetDraft = { template: string, version: string, status: WorksheetStatus, 
/**
 * When it was started; empty means now.
 */
started?: string | null, 
/**
 * When it was first completed; kept across edits, empty means now.
 */
completed?: string | null, answers: Answers, visibility: Visibility, 
/**
 * The counselor's assignment this answers, if any.
 */
assignment?: RecordId | null, };

export type Worksheet = { template: string, version: string, status: WorksheetStatus, started: string, completed: string | null, answers: Answers, visibility: Visibility, assignment: RecordId | null, 
/**
 * The counselor's review, once they have marked it reviewed.
 */
review?: WorksheetReview, 
/**
 * The counselor's comments, oldest first.
 */
comments?: Array<Comment>, };

export type Score = { total: number, min: number, max: number, 
/**
 * False while some scored item is unanswered; the total is then partial.
 */
complete: boolean, };

export type FhirExport = { questionnaire: unknown, response: unknown, };

export type SupportContact = { name: string, 
/**
 * Sponsor, sister, counselor ...
 */
relation: string, 
/**
 * As the patient would dial it; may be empty.
 */
phone: string, };

export type PlanDraft = { reasons: Array<string>, external_triggers: Array<string>, internal_triggers: Array<string>, warning_signs: Array<string>, coping_strategies: Array<string>, contacts: Array<SupportContact>, lapse_steps: Array<string>, 
/**
 * When the plan was first written; empty means now.
 */
since?: string | null, visibility: Visibility, };

export type RelapsePreventionPlan = { reasons: Array<string>, external_triggers: Array<string>, internal_triggers: Array<string>, warning_signs: Array<string>, coping_strategies: Array<string>, contacts: Array<SupportContact>, lapse_steps: Array<string>, since: string, visibility: Visibility, };

export type CrisisLine = { name: string, 
/**
 * The number to call; may be empty for a text-only line.
 */
phone: string, 
/**
 * The number to text, if the line takes texts.
 */
sms: string, 
/**
 * One line on what the service is for.
 */
about: string, };

export type WorksheetReview = { by: string, at: string, };

export type Comment = { by: string, at: string, text: string, };

export type Assignment = { 
/**
 * The built-in template's id (`cbt-thought-record`, ...).
 */
template: string, due?: string | null, 
/**
 * What the counselor wants the patient to know about it.
 */
note: string, 
/**
 * The counselor's name as the patient knows them.
 */
from: string, assigned: string, visibility: Visibility, };

export type Message = { text: string, from: string, sent: string, 
/**
 * When the patient first opened it; the one field the patient writes.
 */
read_at?: string, visibility: Visibility, };

export type Reply = { text: string, 
/**
 * The care team's message it answers.
 */
in_reply_to?: RecordId, sent: string, 
/**
 * When the care team first read it; the one field they write.
 */
read_at?: string, visibility: Visibility, };

export type ReplyDraft = { text: string, in_reply_to?: RecordId | null, };

export type ConsentTerms = { 
/**
 * Who receives the records, as the app showed it. The server records
 * its own naming of the same people ([`consent_recipient`]), from the
 * pairing code's counselor and clinic, never what a device sends.
 */
recipient: string, 
/**
 * Which kinds of record are shared (`checkin`, `trigger`, ...: the
 * kinds a patient may share).
 */
kinds: Array<string>, 
/**
 * What they are shared for.
 */
purpose: string, 
/**
 * When the consent ends unless renewed.
 */
expires_at: string, };

export type PairPreview = { clinic: string, counselor: string, };

export type PairLink = { server: string, 
/**
 * "ABCDE-FGH2K".
 */
code: string, };

export type Refusal = { id: string, kind: string, reason: string, };

export type SyncLog = { last_success?: string | null, last_attempt?: string | null, 
/**
 * What went wrong last time, in words; none after a success.
 */
last_error?: string | null, 
/**
 * Records the server refused last time, with its reasons.
 */
refused: Array<Refusal>, };

export type SyncStatus = { paired: boolean, server?: string | null, consent?: ConsentTerms | null, 
/**
 * Care-team changes the server has not acknowledged yet.
 */
pending: number, 
/**
 * Pulled records this version cannot read, kept aside.
 */
quarantined: number, log: SyncLog, };

export type LockSettings = { 
/**
 * A passcode is set: the app locks on start and after time away.
 */
enabled: boolean, 
/**
 * Minutes away after which the app locks: 0 (as soon as it leaves
 * the screen), 1, 5 or 15.
 */
away_minutes: number, 
/**
 * The lock was offered (at first start) and the patient answered it:
 * set a passcode, or "not now". Settings offers it from then on.
 */
offer_answered: boolean, };

export type Attempt = { "outcome": "unlocked" } | { "outcome": "wrong", wait_seconds: number, } | { "outcome": "wait", wait_seconds: number, };

export type StoreState = { "kind": "open", locked: boolean, lock: LockSettings, 
/**
 * Seconds until the next passcode may be tried.
 */
wait_seconds: number, } | { "kind": "passphrase", creating: boolean, why: string, } | { "kind": "recovery", problem: string, 
/**
 * The data folder, for restoring a backup into.
 */
folder: string, 
/**
 * Files an earlier "start fresh" set aside.
 */
set_aside: Array<string>, } | { "kind": "unavailable", message: string, };

export type Disclosure = { 
/**
 * The log entry's number, for `before`.
 */
id: number, at: string, 
/**
 * The staff member's name.
 */
who: string, 
/**
 * `counselor` or `admin`.
 */
role: string, 
/**
 * What they did, as the log says it: `read records`, `read insights`,
 * `read caseload summary`, `write message`, `revoke device`, ...
 */
action: string, 
/**
 * The kind of record read or written, where the entry names one.
 */
kind?: string, 
/**
 * The purpose of the consent in force at the time, if one was.
 */
purpose?: string, };

export type Disclosures = { entries: Array<Disclosure>, 
/**
 * Older entries were not fetched.
 */
more: boolean, 
/**
 * When the list was fetched; none before the first time.
 */
fetched_at?: string | null, };

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

export type InsightReport = { from: string, to: string, days: number, 
/**
 * Each day, oldest first: check-ins, mean and highest craving.
 */
trend: Array<DayCraving>, 
/**
 * 168 cells, Monday 00:00 first: check-ins and mean craving.
 */
heatmap: Array<HeatCell>, top_triggers: Array<TriggerCount>, halt: HaltCounts, 
/**
 * Each week (Monday start) the window touches, against the target.
 */
weeks: Array<WeekAttendance>, 
/**
 * Each coping strategy named, with how often the craving passed.
 */
helped: Array<CopingResult>, };

export type Streak = { 
/**
 * Days in the current run: it ends today, or yesterday if today has no
 * check-in yet (it is still alive until today ends). 0 once a day was
 * missed.
 */
current: number, longest: number, checked_in_today: boolean, 
/**
 * The first day of the current run, if there is one.
 */
since?: string | null, 
/**
 * The next chip the current run reaches, if any is left.
 */
next_milestone?: number | null, };

export type UseFree = { 
/**
 * Days in a row without a reported use, today included unless a use
 * was reported today.
 */
current: number, 
/**
 * The longest such stretch since counting began (the current one too).
 */
longest: number, 
/**
 * Days this calendar month, since counting began, without a use.
 */
this_month: number, 
/**
 * The first day of the current stretch; none when a use was reported
 * today.
 */
since?: string | null, 
/**
 * The latest reported use since counting began.
 */
last_use?: string | null, counting_from: string, 
/**
 * The next chip the current stretch reaches, if any is left.
 */
next_milestone?: number | null, };

export type Counter = "checkin_streak" | "days_without_use";

export type Milestone = { counter: Counter, days: number, since: string, 
/**
 * The day it was reached.
 */
reached_on: string, };

export type ProgramProgress = { level: LevelOfCare, start: string, 
/**
 * The week of the program today is in, from 1; 0 before it starts.
 */
week: number, 
/**
 * The weeks planned, when the program has an end date.
 */
planned_weeks?: number | null, 
/**
 * Minutes attended this week (Monday to Sunday).
 */
this_week_minutes: number, 
/**
 * The program's weekly hours.
 */
target_hours: number, 
/**
 * The hours a week the level of care stands for (ASAM), where it sets
 * a minimum.
 */
level_hours?: number | null, 
/**
 * Minutes and sessions attended since the program began.
 */
total_minutes: number, sessions_attended: number, };

export type ProgressSettings = { 
/**
 * Days in a row with at least one check-in.
 */
checkin_streak: boolean, 
/**
 * Days without use, counted from this day (the first day counted);
 * none while the counter is off.
 */
days_without_use_from?: string | null, 
/**
 * Weeks in the program and hours attended against its level of care.
 */
program: boolean, };

export type Progress = { today: string, settings: ProgressSettings, streak?: Streak | null, days_without_use?: UseFree | null, 
/**
 * The chips of the current stretches, smallest first.
 */
chips: Array<Milestone>, 
/**
 * Chips reached since the patient last looked: each is returned here
 * once, then only among `chips`, whatever restarts come between.
 */
new_milestones: Array<Milestone>, 
/**
 * None while turned off or without a program.
 */
program?: ProgramProgress | null, };

export type ExportReport = { 
/**
 * The folder, whole.
 */
folder: string, 
/**
 * Its files, by name.
 */
files: Array<string>, 
/**
 * How many records `records.json` holds.
 */
records: number, };

export type BackupReport = { path: string, records: number, bytes: bigint, };

export type RestoreReport = { 
/**
 * Records in the backup.
 */
records: number, 
/**
 * Added here, or changed by a newer field from the backup.
 */
changed: number, 
/**
 * Already here as they are in the backup (or newer).
 */
unchanged: number, 
/**
 * Records this version of Steady cannot keep, left out (with why).
 */
skipped: Array<string>, };

export type AutoBackup = { folder: string, 
/**
 * When the last one was made, if one was.
 */
last?: string | null, };

export type WeekFigures = { 
/**
 * The Monday it starts on.
 */
week_start: string, checkins: number, mean_craving?: number | null, max_craving?: number | null, sessions_attended: number, attended_minutes: number, worksheets_done: number, };

export type WeeklyReview = { this_week: WeekFigures, last_week: WeekFigures, 
/**
 * The program's weekly hours, if one is set.
 */
target_hours?: number | null, 
/**
 * The trigger kind logged most this week.
 */
top_trigger?: TriggerCount | null, 
/**
 * The coping step after which cravings passed most often: this week's,
 * or the last four weeks' when this week names none.
 */
helped_most?: CopingResult | null, 
/**
 * The days `helped_most` was counted over: 7 or 28.
 */
helped_days: number, 
/**
 * One of the patient's own reasons, a different one each week.
 */
reason?: string | null, };

export type WeeklyReviewTime = { day: Day, time: string, };

export type JournalDraft = { 
/**
 * When; empty means now.
 */
at?: string | null, title: string, text: string, visibility: Visibility, };

export type JournalEntry = { at: string, title: string, text: string, visibility: Visibility, };

/** The kinds a patient may share, in the order the consent asks about them. */
export const SHAREABLE_KINDS: readonly RecordKind[] = ["checkin", "trigger", "worksheet", "plan", "event", "attendance", "program", "journal"];

/** The kinds only the care team writes. */
export const CARE_TEAM_KINDS: readonly RecordKind[] = ["message", "assignment"];
