// The only module that talks to the server: every request goes through
// `call`, which sends the session's CSRF token with changes and turns the
// server's JSON errors into `ApiError`s that name the field at fault; the
// live caseload stream through `caseloadEvents`.


import type {
  ClinicSecondFactor,
  NewSecondFactor,
  RecoveryCodes,
  SecondFactorStatus,
  AuditEntry,
  AuditQuery,
  CaseloadEntry,
  RepliesRead,
  ClinicDevice,
  CurrentSession,
  Device,
  GroupSessions,
  Insights,
  Item,
  PairingCode,
  Patient,
  PatientRecord,
  Questionnaire,
  RecordKind,
  Role,
  SignedIn,
  User,
  Written,
} from "./bindings";

// The server's types, generated from its Rust types (bindings.ts), under
// the names the pages use.
export type {
  NewSecondFactor,
  SecondFactorStatus,
  AuditEntry,
  CaseloadEntry,
  ClinicDevice,
  CurrentSession,
  Device,
  Insights,
  PairingCode,
  Patient,
  PatientRecord,
  Role,
  User,
  Written,
};
export type { DayCraving, HaltCounts, HeatCell, TriggerCount, WeekAttendance } from "./bindings";
/** A worksheet template (a FHIR-shaped questionnaire). */
export type Template = Questionnaire;
export type TemplateItem = Item;
export type AuditFilter = AuditQuery;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

let csrf = "";
let onSignedOut: (() => void) | null = null;
let lastRequest = 0;

/// Called when the server answers 401 to a signed-in page: the session ended.
export function whenSignedOut(f: () => void) {
  onSignedOut = f;
}

/// Milliseconds since the epoch of the last request that reached the server.
export function lastRequestAt(): number {
  return lastRequest;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check the connection and try again.");
  }
  lastRequest = Date.now();
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json as { error?: { message?: string; field?: string } } | null)?.error;
    // A wrong second-factor code is a refusal, not the end of the session.
    const ends = path !== "/v1/session" && path !== "/v1/session/second-factor";
    if (response.status === 401 && ends && onSignedOut) onSignedOut();
    let message = error?.message ?? `The server answered ${response.status}.`;
    const retry = response.headers.get("Retry-After");
    if (response.status === 429 && retry) {
      message = `Too many attempts. Try again in ${Math.ceil(Number(retry) / 60)} minute(s).`;
    }
    throw new ApiError(response.status, message, error?.field ?? null);
  }
  return json as T;
}

export async function signIn(email: string, password: string): Promise<CurrentSession> {
  const r = await call<SignedIn>("POST", "/v1/session", {
    email,
    password,
  });
  csrf = r.csrf_token;
  const s = await currentSession();
  if (!s) {
    throw new ApiError(401, "The browser did not keep the sign-in. Allow cookies for this site.");
  }
  return s;
}

/// The session this page runs in, if any (a reload keeps it).
export async function currentSession(): Promise<CurrentSession | null> {
  try {
    const s = await call<CurrentSession>("GET", "/v1/session");
    csrf = s.csrf_token;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      // A page that was signed in learns here that its session ended.
      if (csrf && onSignedOut) onSignedOut();
      csrf = "";
      return null;
    }
    throw e;
  }
}

/// Finishes signing in with a code from the authenticator app or a
/// recovery code; `remember` trusts this browser for 12 hours.
export async function enterSecondFactor(code: string, remember: boolean): Promise<CurrentSession> {
  const s = await call<CurrentSession>("POST", "/v1/session/second-factor", {
    code,
    remember_browser: remember,
  });
  csrf = s.csrf_token;
  return s;
}

/// Starts setting up the second factor: the secret and its otpauth:// address.
export const beginSecondFactor = () => call<NewSecondFactor>("POST", "/v1/second-factor");
/// Confirms it with the app's first code; the recovery codes, shown once.
export const confirmSecondFactor = (code: string) =>
  call<RecoveryCodes>("POST", "/v1/second-factor/confirm", { code, remember_browser: false });
export const secondFactorStatus = () => call<SecondFactorStatus>("GET", "/v1/second-factor");
export const clinicSecondFactor = () =>
  call<ClinicSecondFactor>("GET", "/v1/clinic/second-factor");
export const setClinicSecondFactor = (counselors: boolean) =>
  call<ClinicSecondFactor>("PUT", "/v1/clinic/second-factor", { counselors });

export async function signOut(): Promise<void> {
  try {
    await call<void>("DELETE", "/v1/session");
  } finally {
    csrf = "";
  }
}

export const caseload = () => call<CaseloadEntry[]>("GET", "/v1/caseload");
export const addPatient = (display_name: string) =>
  call<Patient>("POST", "/v1/patients", { display_name });
export const patients = () => call<Patient[]>("GET", "/v1/patients");
export const pairingCode = (patient: string) =>
  call<PairingCode>("POST", `/v1/patients/${enc(patient)}/pairing-codes`);
export const devices = (patient: string) =>
  call<Device[]>("GET", `/v1/patients/${enc(patient)}/devices`);
export const revokeDevice = (patient: string, device: string) =>
  call<void>("DELETE", `/v1/patients/${enc(patient)}/devices/${enc(device)}`);
export const insights = (patient: string, days: number) =>
  call<Insights>("GET", `/v1/patients/${enc(patient)}/insights?days=${days}`);
/** A patient's records of one kind; `from` (included) and `to` (excluded)
 *  bound their time, as instants. */
export const records = (patient: string, kind: RecordKind, from?: Date, to?: Date) => {
  const range = [
    from ? `&from=${enc(from.toISOString())}` : "",
    to ? `&to=${enc(to.toISOString())}` : "",
  ].join("");
  return call<PatientRecord[]>("GET", `/v1/patients/${enc(patient)}/records?kind=${enc(kind)}${range}`);
};
export const templates = () => call<Template[]>("GET", "/v1/worksheet-templates");
export const assign = (patient: string, template: string, due: string | null, note: string) =>
  call<Written>("POST", `/v1/patients/${enc(patient)}/assignments`, { template, due, note });
export const sendMessage = (patient: string, text: string) =>
  call<Written>("POST", `/v1/patients/${enc(patient)}/messages`, { text });
export const markRepliesRead = (patient: string) =>
  call<RepliesRead>("POST", `/v1/patients/${enc(patient)}/replies/read`);
export const markReviewed = (patient: string, worksheet: string) =>
  call<Written>("PUT", `/v1/patients/${enc(patient)}/worksheets/${enc(worksheet)}/review`);
export const comment = (patient: string, worksheet: string, text: string) =>
  call<Written>("POST", `/v1/patients/${enc(patient)}/worksheets/${enc(worksheet)}/comments`, {
    text,
  });
export const addGroupSessions = (patient_ids: string[], event: unknown) =>
  call<GroupSessions>("POST", "/v1/group-sessions", { patient_ids, event });
export const staff = () => call<User[]>("GET", "/v1/staff");
export const addStaff = (email: string, name: string, role: Role, password: string) =>
  call<User>("POST", "/v1/staff", { email, name, role, password });
export const clinicDevices = () => call<ClinicDevice[]>("GET", "/v1/devices");
export const revokeClinicDevice = (device: string) =>
  call<void>("DELETE", `/v1/devices/${enc(device)}`);
export function auditLog(filter: AuditFilter): Promise<AuditEntry[]> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) {
    if (v !== undefined && v !== "") q.set(k, String(v));
  }
  return call<AuditEntry[]>("GET", `/v1/audit?${q}`);
}

/** What the live caseload stream tells a page. */
export interface CaseloadEvents {
  /** The stream is open. */
  open(): void;
  /** A patient's records changed; `null` when some changes were missed. */
  changed(patientId: string | null): void;
  /** The stream dropped; the browser is reconnecting. */
  paused(): void;
  /** The browser gave up on the stream (the server refused it). */
  closed(): void;
}

/// Which of the counselor's patients just synced, as they do (ids only;
/// reading what changed is an audited request). Answers a function that
/// closes the stream.
export function caseloadEvents(on: CaseloadEvents): () => void {
  const source = new EventSource("/v1/caseload/events");
  source.addEventListener("open", () => on.open());
  source.addEventListener("changed", (e) => {
    let patientId: string | null = null;
    try {
      patientId = JSON.parse((e as MessageEvent).data).patient_id ?? null;
    } catch {
      patientId = null;
    }
    on.changed(patientId);
  });
  source.addEventListener("missed", () => on.changed(null));
  source.addEventListener("error", () => {
    on.paused();
    if (source.readyState === EventSource.CLOSED) on.closed();
  });
  return () => source.close();
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/// The message to show for a failed call.
export function explain(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return "Something went wrong. Reload the page and try again.";
}
