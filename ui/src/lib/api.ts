// The one door from the UI to Rust. No other module imports @tauri-apps/*,
// so every screen can be rendered in tests with a fake backend.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";
import type {
  Assignment,
  ConsentTerms,
  Message,
  PairLink,
  Reply,
  ReplyDraft,
  PairPreview,
  SyncStatus,
  Answers,
  CrisisLine,
  PlanDraft,
  Questionnaire,
  RelapsePreventionPlan,
  Score,
  Worksheet,
  WorksheetDraft,
  Attendance,
  AttendanceMark,
  CheckIn,
  CheckInDraft,
  Entry,
  ErrorReport,
  Event,
  EventDraft,
  ListQuery,
  OccurrenceView,
  Page,
  Program,
  ProgramDraft,
  RecordId,
  ReminderSettings,
  TriggerDraft,
  TriggerEntry,
  WeekHours,
  Attempt,
  LockSettings,
  StoreState,
  Disclosures,
  InsightReport,
  JournalDraft,
  JournalEntry,
  WeeklyReview,
  ExportReport,
  AutoBackup,
  BackupReport,
  RestoreReport,
  Progress,
  ProgressSettings,
  ImportSummary,
  FeedInfo,
  FeedReport,
  MeetingFilter,
  MeetingSearch,
} from "./bindings";

export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;
/** Subscribes to a backend event; resolves to the function that unsubscribes. */
export type Listen = (event: string, handler: (payload: unknown) => void) => Promise<() => void>;

let invokeImpl: Invoke = tauriInvoke;
let listenImpl: Listen = (event, handler) => tauriListen(event, (e) => handler(e.payload));

/** Replaces the backend, for tests. Returns a function that restores it. */
export function useBackend(invoke: Invoke, listen?: Listen): () => void {
  const previous = [invokeImpl, listenImpl] as const;
  invokeImpl = invoke;
  listenImpl = listen ?? (async () => () => {});
  return () => {
    [invokeImpl, listenImpl] = previous;
  };
}

/** Calls `handler` with a session's id when its reminder is clicked. */
export function onOpenEvent(handler: (eventId: RecordId) => void): Promise<() => void> {
  return listenImpl("open-event", (payload) => {
    if (typeof payload === "string") handler(payload);
  });
}

/** Calls `handler` with the sync state now and after each sync; returns the stop. */
export function watchSyncStatus(handler: (status: SyncStatus) => void): () => void {
  api.syncStatus().then(handler).catch(() => {});
  const stop = onSyncStatus(handler);
  return () => {
    stop.then((unlisten) => unlisten()).catch(() => {});
  };
}

/** Calls `handler` when a `steady://pair` link is opened (Settings takes it). */
export function onPairLink(handler: () => void): Promise<() => void> {
  return listenImpl("pair-link", () => handler());
}

/** Calls `handler` when a new message's notification is clicked. */
/** Calls `handler` when the weekly review's notification is clicked. */
export function onOpenReview(handler: () => void): Promise<() => void> {
  return listenImpl("open-review", () => handler());
}

export function onOpenMessages(handler: () => void): Promise<() => void> {
  return listenImpl("open-messages", () => handler());
}

/** Calls `handler` with the sync state each time a sync attempt ends. */
export function onSyncStatus(handler: (status: SyncStatus) => void): Promise<() => void> {
  return listenImpl("sync-status", (payload) => {
    if (payload && typeof payload === "object") handler(payload as SyncStatus);
  });
}

/** Calls `handler` when the store's state changes (locked after time away, opened, erased). */
export function onStoreState(handler: (state: StoreState) => void): Promise<() => void> {
  return listenImpl("store-state", (payload) => {
    if (payload && typeof payload === "object") handler(payload as StoreState);
  });
}

/** A refusal or failure from Rust, with its words for people. */
export class ApiError extends Error {
  readonly report: ErrorReport;

  constructor(report: ErrorReport) {
    super(report.message);
    this.name = "ApiError";
    this.report = report;
  }

  /** Field name -> message, for showing each message beside its field. */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.report.kind === "invalid") {
      for (const f of this.report.fields) out[f.field] ??= f.message;
    }
    return out;
  }
}

function isReport(value: unknown): value is ErrorReport {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invokeImpl<T>(command, args);
  } catch (e) {
    if (isReport(e)) throw new ApiError(e);
    throw new ApiError({
      kind: "storage",
      message: `Steady could not reach its storage (${String(e)}). Nothing was saved; try again.`,
    });
  }
}

/** The message to show for any error a call may throw. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const api = {
  createCheckIn: (draft: CheckInDraft) => call<Entry<CheckIn>>("create_checkin", { draft }),
  updateCheckIn: (id: RecordId, draft: CheckInDraft) =>
    call<Entry<CheckIn>>("update_checkin", { id, draft }),
  deleteCheckIn: (id: RecordId) => call<null>("delete_checkin", { id }),
  getCheckIn: (id: RecordId) => call<Entry<CheckIn>>("get_checkin", { id }),
  listCheckIns: (query: ListQuery) => call<Page<Entry<CheckIn>>>("list_checkins", { query }),
  createTrigger: (draft: TriggerDraft) => call<Entry<TriggerEntry>>("create_trigger", { draft }),
  updateTrigger: (id: RecordId, draft: TriggerDraft) =>
    call<Entry<TriggerEntry>>("update_trigger", { id, draft }),
  deleteTrigger: (id: RecordId) => call<null>("delete_trigger", { id }),
  listTriggers: (query: ListQuery) => call<Page<Entry<TriggerEntry>>>("list_triggers", { query }),
  createEvent: (draft: EventDraft) => call<Entry<Event>>("create_event", { draft }),
  updateEvent: (id: RecordId, draft: EventDraft) => call<Entry<Event>>("update_event", { id, draft }),
  deleteEvent: (id: RecordId) => call<null>("delete_event", { id }),
  getEvent: (id: RecordId) => call<Entry<Event>>("get_event", { id }),
  listOccurrences: (from: string, to: string) => call<OccurrenceView[]>("list_occurrences", { from, to }),
  markAttendance: (mark: AttendanceMark) => call<Entry<Attendance>>("mark_attendance", { mark }),
  weekHours: (day: string | null) => call<WeekHours>("week_hours", { day }),
  /** The insights of each period (in days) that ends today, computed on the device. */
  insights: (periods: number[]) => call<InsightReport[]>("insights", { periods }),
  /** The counts the patient turned on; chips reached since the last look are new once. */
  progress: () => call<Progress>("progress", {}),
  setProgressSettings: (settings: ProgressSettings) => call<Progress>("set_progress_settings", { settings }),
  /** This week against last week, for the weekly review. */
  weeklyReview: () => call<WeeklyReview>("weekly_review", {}),
  createJournal: (draft: JournalDraft) => call<Entry<JournalEntry>>("create_journal", { draft }),
  listJournal: (query: ListQuery) => call<Page<Entry<JournalEntry>>>("list_journal", { query }),
  getProgram: () => call<Entry<Program> | null>("get_program", {}),
  saveProgram: (draft: ProgramDraft) => call<Entry<Program>>("save_program", { draft }),
  getReminderSettings: () => call<ReminderSettings>("get_reminder_settings", {}),
  setReminderSettings: (settings: ReminderSettings) => call<null>("set_reminder_settings", { settings }),
  deviceZone: () => call<string>("device_zone", {}),
  /** Asks where to save the schedule; where it went, or null if the dialog was closed. */
  exportIcs: () => call<string | null>("export_ics", {}),
  importIcs: (text: string) => call<ImportSummary>("import_ics", { text }),
  /** Reads a Meeting Guide feed from a file's text, named by the file. */
  readMeetingFeed: (name: string, text: string) => call<FeedReport>("read_meeting_feed", { name, text }),
  /** Fetches a Meeting Guide feed from its address (https). */
  fetchMeetingFeed: (url: string) => call<FeedReport>("fetch_meeting_feed", { url }),
  meetingFeeds: () => call<FeedInfo[]>("meeting_feeds", {}),
  removeMeetingFeed: (name: string) => call<null>("remove_meeting_feed", { name }),
  findMeetings: (filter: MeetingFilter) => call<MeetingSearch>("find_meetings", { filter }),
  /** Adds a kept meeting on the chosen days (0 Sunday to 6 Saturday); how many series were added. */
  addMeeting: (feed: string, slug: string, days: number[]) => call<number>("add_meeting", { feed, slug, days }),
  /** Asks for a folder and saves everything into a new one there; what was written, or null if the dialog was closed. */
  exportMyData: () => call<ExportReport | null>("export_my_data", {}),
  /** Asks where to save an encrypted backup; what was written, or null if the dialog was closed. */
  backupNow: (passphrase: string) => call<BackupReport | null>("backup_now", { passphrase }),
  /** Asks which backup to restore and merges it in; what it did, or null if the dialog was closed. */
  restoreBackup: (passphrase: string) => call<RestoreReport | null>("restore_backup", { passphrase }),
  getAutoBackup: () => call<AutoBackup | null>("get_auto_backup", {}),
  /** Turns the weekly backup on (asking for its folder) with a passphrase, or off with null. */
  setAutoBackup: (passphrase: string | null) => call<AutoBackup | null>("set_auto_backup", { passphrase }),
  listTemplates: () => call<Questionnaire[]>("list_templates", {}),
  getTemplate: (id: string, version: string) => call<Questionnaire>("get_template", { id, version }),
  createWorksheet: (draft: WorksheetDraft) => call<Entry<Worksheet>>("create_worksheet", { draft }),
  updateWorksheet: (id: RecordId, draft: WorksheetDraft) =>
    call<Entry<Worksheet>>("update_worksheet", { id, draft }),
  getWorksheet: (id: RecordId) => call<Entry<Worksheet>>("get_worksheet", { id }),
  deleteWorksheet: (id: RecordId) => call<null>("delete_worksheet", { id }),
  listWorksheets: (query: ListQuery) => call<Page<Entry<Worksheet>>>("list_worksheets", { query }),
  worksheetScore: (template: string, version: string, answers: Answers) =>
    call<Score | null>("worksheet_score", { template, version, answers }),
  /** Asks where to save the worksheet for the clinic; where it went, or null if the dialog was closed. */
  exportWorksheet: (id: RecordId) => call<string | null>("export_worksheet", { id }),
  getPlan: () => call<Entry<RelapsePreventionPlan> | null>("get_plan", {}),
  savePlan: (draft: PlanDraft) => call<Entry<RelapsePreventionPlan>>("save_plan", { draft }),
  getCrisisLines: () => call<CrisisLine[]>("get_crisis_lines", {}),
  setCrisisLines: (lines: CrisisLine[]) => call<CrisisLine[]>("set_crisis_lines", { lines }),
  dial: (number: string) => call<null>("dial", { number }),
  syncStatus: () => call<SyncStatus>("sync_status", {}),
  syncNow: () => call<null>("sync_now", {}),
  previewPairing: (server: string, code: string) => call<PairPreview>("preview_pairing", { server, code }),
  pairClinic: (server: string, code: string, consent: ConsentTerms, deviceLabel: string) =>
    call<SyncStatus>("pair_clinic", { server, code, consent, deviceLabel }),
  giveConsent: (consent: ConsentTerms) => call<SyncStatus>("give_consent", { consent }),
  revokeConsent: () => call<SyncStatus>("revoke_consent", {}),
  unpairClinic: () => call<SyncStatus>("unpair_clinic", {}),
  listMessages: () => call<Entry<Message>[]>("list_messages", {}),
  markMessageRead: (id: RecordId) => call<Entry<Message>>("mark_message_read", { id }),
  pendingPairLink: (take: boolean) => call<PairLink | null>("pending_pair_link", { take }),
  readPairLink: (link: string) => call<PairLink>("read_pair_link", { link }),
  canScan: () => call<boolean>("can_scan", {}),
  /** The camera's reading of a QR code (the barcode-scanner plugin; phones only). */
  scanQrCode: () =>
    call<{ content: string }>("plugin:barcode-scanner|scan", { formats: ["QR_CODE"], windowed: false, cameraDirection: "back" }),
  listReplies: () => call<Entry<Reply>[]>("list_replies", {}),
  sendReply: (draft: ReplyDraft) => call<Entry<Reply>>("send_reply", { draft }),
  listAssignments: () => call<Entry<Assignment>[]>("list_assignments", {}),
  storeState: () => call<StoreState>("store_state", {}),
  enterPassphrase: (passphrase: string) => call<StoreState>("enter_passphrase", { passphrase }),
  retryOpen: () => call<StoreState>("retry_open", {}),
  startFresh: (confirmation: string) => call<StoreState>("start_fresh", { confirmation }),
  eraseDevice: (confirmation: string) => call<StoreState>("erase_device", { confirmation }),
  unlockApp: (passcode: string) => call<Attempt>("unlock_app", { passcode }),
  lockNow: () => call<StoreState>("lock_now", {}),
  setPasscode: (passcode: string, awayMinutes: number) =>
    call<LockSettings>("set_passcode", { passcode, awayMinutes }),
  setLockAway: (awayMinutes: number) => call<LockSettings>("set_lock_away", { awayMinutes }),
  removePasscode: () => call<LockSettings>("remove_passcode", {}),
  answerLockOffer: () => call<LockSettings>("answer_lock_offer", {}),
  lockScreenLines: () => call<CrisisLine[]>("lock_screen_lines", {}),
  listDisclosures: () => call<Disclosures>("list_disclosures", {}),
  refreshDisclosures: () => call<Disclosures>("refresh_disclosures", {}),
};
