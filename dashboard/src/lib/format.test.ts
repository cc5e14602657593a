import { describe, expect, it } from "vitest";
import { categoryLabels } from "@steady/labels";
import { ago, one } from "./format";

describe("format", () => {
  it("says how long since a contact", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    expect(ago(null, now)).toBe("no check-in yet");
    expect(ago("2026-11-27T11:59:40Z", now)).toBe("just now");
    expect(ago("2026-11-27T11:00:00Z", now)).toBe("1 hour ago");
    expect(ago("2026-11-27T09:00:00Z", now)).toBe("3 hours ago");
    expect(ago("2026-11-24T12:00:00Z", now)).toBe("3 days ago");
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
