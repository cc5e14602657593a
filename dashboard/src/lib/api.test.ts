import { afterEach, describe, expect, it, vi } from "vitest";
import * as api from "./api";

type Call = { path: string; init: RequestInit };

/// Answers each request with the next of `answers`, keeping what was sent.
function server(answers: Response[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string, init: RequestInit) => {
      calls.push({ path, init });
      const next = answers.shift();
      if (!next) throw new Error(`unexpected request ${path}`);
      return next;
    }),
  );
  return calls;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

const session = {
  user: { id: "u1", clinic_id: "c1", email: "dana@clinic.example", name: "Dana", role: "counselor" },
  csrf_token: "csrf-1",
  idle_seconds: 1800,
};

describe("api", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends the session's CSRF token with every change, never with reads", async () => {
    const calls = server([
      json(200, { user: session.user, csrf_token: "csrf-1" }),
      json(200, session),
      json(201, { id: "p1", counselor_id: "u1", display_name: "Ana R.", created_ms: 0 }),
      json(200, []),
    ]);
    const s = await api.signIn("dana@clinic.example", "river stone lantern 42");
    expect(s.idle_seconds).toBe(1800);
    await api.addPatient("Ana R.");
    await api.caseload();
    const headers = (c: Call) => c.init.headers as Record<string, string>;
    expect(calls[2]?.path).toBe("/v1/patients");
    expect(headers(calls[2]!)["X-CSRF-Token"]).toBe("csrf-1");
    expect(calls[2]?.init.body).toBe(JSON.stringify({ display_name: "Ana R." }));
    expect(headers(calls[3]!)["X-CSRF-Token"]).toBeUndefined();
  });

  it("turns a refusal into an error naming the field", async () => {
    server([
      json(422, { error: { code: "invalid", message: "Write the message before sending it.", field: "text" } }),
    ]);
    const error = await api.sendMessage("p1", " ").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(api.ApiError);
    expect((error as api.ApiError).field).toBe("text");
    expect(api.explain(error)).toBe("Write the message before sending it.");
  });

  it("says when to try signing in again after too many attempts", async () => {
    server([
      json(429, { error: { code: "too_many_requests", message: "Too many." } }, { "Retry-After": "600" }),
    ]);
    const error = await api.signIn("a@b.example", "x").catch((e: unknown) => e);
    expect(api.explain(error)).toBe("Too many attempts. Try again in 10 minute(s).");
  });

  it("tells the page when its session has ended", async () => {
    const ended = vi.fn();
    api.whenSignedOut(ended);
    server([json(401, { error: { code: "unauthorized", message: "Your session has ended; sign in again." } })]);
    await expect(api.caseload()).rejects.toBeInstanceOf(api.ApiError);
    expect(ended).toHaveBeenCalledOnce();
  });

  it("asks for the audit log with only the filters given", async () => {
    const calls = server([json(200, [])]);
    await api.auditLog({ action: "read insights", actor_id: "", limit: 500 });
    expect(calls[0]?.path).toBe("/v1/audit?action=read+insights&limit=500");
  });

  it("explains an unreachable server", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const error = await api.staff().catch((e: unknown) => e);
    expect(api.explain(error)).toContain("cannot be reached");
  });
  it("hears the live caseload stream through the module, and closes it", () => {
    class FakeSource extends EventTarget {
      static CLOSED = 2;
      static last: FakeSource | null = null;
      readyState = 1;
      closed = false;
      constructor(readonly url: string) {
        super();
        FakeSource.last = this;
      }
      close() {
        this.closed = true;
      }
      emit(type: string, data?: string) {
        const e = new Event(type) as Event & { data?: string };
        e.data = data;
        this.dispatchEvent(e);
      }
    }
    vi.stubGlobal("EventSource", FakeSource);
    const heard: string[] = [];
    const close = api.caseloadEvents({
      open: () => heard.push("open"),
      changed: (id) => heard.push(`changed ${id}`),
      paused: () => heard.push("paused"),
      closed: () => heard.push("closed"),
    });
    const source = FakeSource.last!;
    expect(source.url).toBe("/v1/caseload/events");
    source.emit("open");
    source.emit("changed", JSON.stringify({ patient_id: "p1" }));
    source.emit("changed", "not json");
    source.emit("missed", "{}");
    source.emit("error");
    source.readyState = FakeSource.CLOSED;
    source.emit("error");
    expect(heard).toEqual([
      "open",
      "changed p1",
      "changed null",
      "changed null",
      "paused",
      "paused",
      "closed",
    ]);
    close();
    expect(source.closed).toBe(true);
  });
});
