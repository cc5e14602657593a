import { describe, expect, it } from "vitest";
import type { CaseloadEntry, RiskFlag } from "./bindings";
import { DEFAULT_VIEW, readView, triage, viewHash, weekHours, type View } from "./caseload";

const now = Date.parse("2026-11-27T12:00:00Z");
const hoursAgo = (h: number) => new Date(now - h * 3_600_000).toISOString();

function entry(
  name: string,
  sharing: boolean,
  flags: RiskFlag[] = [],
  last?: { hoursAgo: number; craving: number },
): CaseloadEntry {
  return {
    patient: { id: name.toLowerCase(), counselor_id: "dana", display_name: name, created_ms: 0 },
    sharing,
    flags,
    flag_labels: flags.map(String),
    last_checkin: last ? hoursAgo(last.hoursAgo) : null,
    last_craving: last ? last.craving : null,
    this_week: sharing
      ? { week_start: "2026-11-23", attended_minutes: 450, sessions_attended: 3, sessions_missed: 0, target_hours: 9, target_met: false }
      : null,
    unread_replies: 0,
    unreadable: 0,
  };
}

// The server's order: most flags first, then by name.
const caseload = [
  entry("Ana", true, ["lapse", "high_craving"], { hoursAgo: 2, craving: 9 }),
  entry("Cal", true, ["no_check_in"], { hoursAgo: 24 * 5, craving: 6 }),
  entry("Bo", true, ["no_check_in"]),
  entry("Ben", true, [], { hoursAgo: 30, craving: 4 }),
  entry("José", false),
  entry("Zed", false),
];
const names = (view: Partial<View>) =>
  triage(caseload, { ...DEFAULT_VIEW, ...view }, now).map((e) => e.patient.display_name);

describe("caseload triage", () => {
  it("keeps the server's urgency by default and finds a name in any case, without accents", () => {
    expect(names({})).toEqual(["Ana", "Cal", "Bo", "Ben", "José", "Zed"]);
    expect(names({ q: "jose" })).toEqual(["José"]);
    expect(names({ q: " B " })).toEqual(["Bo", "Ben"]);
    expect(names({ q: "nobody" })).toEqual([]);
  });

  it("filters by flag, sharing and days without a check-in", () => {
    expect(names({ show: "flagged" })).toEqual(["Ana", "Cal", "Bo"]);
    expect(names({ show: "sharing" })).toEqual(["Ana", "Cal", "Bo", "Ben"]);
    expect(names({ show: "not-sharing" })).toEqual(["José", "Zed"]);
    // Never checked in counts as quiet; not sharing is not known.
    expect(names({ show: "quiet-3" })).toEqual(["Cal", "Bo"]);
    expect(names({ show: "quiet-7" })).toEqual(["Bo"]);
    expect(names({ show: "flagged", q: "b" })).toEqual(["Bo"]);
  });

  it("sorts by last craving, last check-in and name, sharing patients first", () => {
    expect(names({ sort: "craving" })).toEqual(["Ana", "Cal", "Ben", "Bo", "José", "Zed"]);
    expect(names({ sort: "quiet" })).toEqual(["Bo", "Cal", "Ben", "Ana", "José", "Zed"]);
    expect(names({ sort: "recent" })).toEqual(["Ana", "Ben", "Cal", "Bo", "José", "Zed"]);
    expect(names({ sort: "name" })).toEqual(["Ana", "Ben", "Bo", "Cal", "José", "Zed"]);
  });

  it("keeps the view in the address, and reads only what it knows", () => {
    const view: View = { q: "ana r", show: "quiet-7", sort: "craving" };
    expect(viewHash(view)).toBe("#/?q=ana+r&show=quiet-7&sort=craving");
    expect(readView(viewHash(view))).toEqual(view);
    expect(viewHash(DEFAULT_VIEW)).toBe("#/");
    expect(readView("#/")).toEqual(DEFAULT_VIEW);
    expect(readView("#/?show=everyone&sort=%3Cscript%3E")).toEqual(DEFAULT_VIEW);
  });

  it("says this week's hours against the target", () => {
    expect(weekHours(caseload[0]!)).toBe("7.5 of 9 hours");
    expect(weekHours(caseload[4]!)).toBe("—");
  });
});
