import { describe, expect, it } from "vitest";
import { ago, sharedWhere, syncLine } from "./sync";
import { notPaired } from "./fake";
import type { SyncStatus } from "./bindings";

const paired: SyncStatus = {
  ...notPaired,
  paired: true,
  server: "https://steady.clinic.example",
  consent: { recipient: "Dana", kinds: ["checkin"], purpose: "care", expires_at: "2027-05-27T00:00:00Z" },
};

describe("sync state in words", () => {
  const now = new Date("2026-11-27T12:00:00Z");

  it("says where an entry for the care team goes, true to the consent", () => {
    expect(sharedWhere(notPaired, "worksheet")).toBe("stays on this device until you pair with your clinic (Settings)");
    expect(sharedWhere({ ...paired, consent: null }, "worksheet")).toBe("stays on this device: sharing is off (Settings)");
    expect(sharedWhere(paired, "worksheet")).toBe("stays on this device: you do not share worksheets");
    expect(sharedWhere(paired, "checkin")).toBe("shared with Dana");
  });

  it("says whether anything is shared at all", () => {
    expect(syncLine(notPaired, now)).toEqual({ text: "Not shared with a clinic", problem: false });
    expect(syncLine({ ...paired, consent: null }, now).text).toBe("Sharing is off");
  });

  it("shows the last success and what is waiting", () => {
    const ok = { ...paired, pending: 2, log: { ...paired.log, last_success: "2026-11-27T11:55:00Z" } };
    expect(syncLine(ok, now)).toEqual({ text: "Synced 5 minutes ago · 2 waiting to send", problem: false });
    expect(ago("2026-11-27T11:59:40Z", now)).toBe("just now");
    expect(ago("2026-11-27T09:00:00Z", now)).toBe("3 hours ago");
  });

  it("puts the last error in words, as a problem", () => {
    const failing = {
      ...paired,
      pending: 1,
      log: { ...paired.log, last_success: "2026-11-27T11:00:00Z", last_error: "Steady could not reach your clinic's server at steady.clinic.example. You may be offline; it will try again." },
    };
    const line = syncLine(failing, now);
    expect(line.problem).toBe(true);
    expect(line.text).toBe(
      "Not synced: Steady could not reach your clinic's server at steady.clinic.example. You may be offline; it will try again. · 1 waiting to send",
    );
  });
});
