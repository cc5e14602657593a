import { describe, expect, it } from "vitest";
import { who, whatTheyDid } from "./disclosures";
import type { Disclosure } from "./bindings";

const entry = (action: string, kind?: string): Disclosure => ({
  id: 1,
  at: "2026-12-01T10:00:00Z",
  who: "Dana Counselor",
  role: "counselor",
  action,
  kind,
  purpose: "treatment",
});

describe("disclosures", () => {
  it("says what the care team did in a patient's words", () => {
    expect(whatTheyDid(entry("read records", "checkin"))).toBe("read your check-ins");
    expect(whatTheyDid(entry("read records", "trigger"))).toBe("read your trigger log");
    expect(whatTheyDid(entry("read insights"))).toMatch(/charts/);
    expect(whatTheyDid(entry("write message", "message"))).toBe("sent you a message");
    expect(whatTheyDid(entry("read records", "reply"))).toBe("read your replies");
    expect(whatTheyDid(entry("write reply", "reply"))).toBe("read your reply");
    expect(whatTheyDid(entry("something new"))).toBe("something new");
    expect(who(entry("read insights"))).toBe("Dana Counselor (counselor)");
  });
});
