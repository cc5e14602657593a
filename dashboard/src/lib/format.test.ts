import { describe, expect, it } from "vitest";
import { categoryLabels } from "@steady/labels";
import { ago, one, patientTime } from "./format";

describe("format", () => {
  it("says how long since a contact", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    expect(ago(null, now)).toBe("no check-in yet");
    expect(ago("2026-11-27T11:59:40Z", now)).toBe("just now");
    expect(ago("2026-11-27T11:00:00Z", now)).toBe("1 hour ago");
    expect(ago("2026-11-27T09:00:00Z", now)).toBe("3 hours ago");
    expect(ago("2026-11-24T12:00:00Z", now)).toBe("3 days ago");
  });

  it("shows an entry's time on the patient's own clock, whatever the counselor's", () => {
    const denver = patientTime("2026-11-20T23:05:00-07:00");
    expect(denver).toContain("11:05");
    expect(denver).toContain("20");
    expect(denver).toMatch(/\(UTC\u22127\)$/);
    expect(patientTime("2026-11-21T06:05:00Z")).toMatch(/6:05.*\(UTC\)$/);
    expect(patientTime("2026-11-21T09:35:00+05:30")).toMatch(/9:35.*\(UTC\+5:30\)$/);
    expect(patientTime("not a time")).toBe("not a time");
  });

  it("writes numbers for people", () => {
    expect(one(null)).toBe("—");
    expect(one(6.25)).toBe("6.3");
  });

  it("names values in the app's words", () => {
    expect(categoryLabels.time_date).toBe("Time or date");
    expect(categoryLabels.physical_state).toBe("Physical state");
  });
});
