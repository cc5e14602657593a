// The one door from the UI to Rust. No other module imports @tauri-apps/*,
// so every screen can be rendered in tests with a fake backend.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import type {
  CheckIn,
  CheckInDraft,
  Entry,
  ErrorReport,
  ListQuery,
  Page,
  RecordId,
  TriggerDraft,
  TriggerEntry,
} from "./bindings";

export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

let invokeImpl: Invoke = tauriInvoke;

/** Replaces the backend, for tests. Returns a function that restores it. */
export function useBackend(invoke: Invoke): () => void {
  const previous = invokeImpl;
  invokeImpl = invoke;
  return () => {
    invokeImpl = previous;
  };
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
};
