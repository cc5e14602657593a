import { describe, expect, it } from "vitest";
import { celebration, chipLabel, helpedWords, streakWords, useFreeWords } from "./progress";

describe("progress words", () => {
  it("name chips as groups do", () => {
    expect([1, 7, 30, 60, 90, 180, 365].map(chipLabel)).toEqual([
      "24 hours",
      "7 days",
      "30 days",
      "60 days",
      "90 days",
      "6 months",
      "1 year",
    ]);
    expect(celebration({ counter: "days_without_use", days: 30, since: "2026-10-01", reached_on: "2026-10-30" })).toBe(
      "New chip: 30 days without use.",
    );
  });

  it("treat a slip as information, with the longest stretch and the month kept beside it", () => {
    const w = useFreeWords({
      current: 3,
      longest: 41,
      this_month: 23,
      since: "2026-11-21",
      last_use: "2026-11-20",
      counting_from: "2026-09-01",
      next_milestone: 7,
    });
    expect(w.headline).toBe("3 days without use");
    expect(w.detail).toBe(
      "A slip is information. Your longest stretch is still 41 days, and you have 23 days without use this month.",
    );
    const clean = useFreeWords({
      current: 12,
      longest: 12,
      this_month: 12,
      since: "2026-11-12",
      last_use: null,
      counting_from: "2026-11-12",
      next_milestone: 30,
    });
    expect(clean.detail).toContain("18 more days to your 30 days chip");
    expect(clean.detail).not.toMatch(/slip|fail/i);
  });

  it("end a streak gently", () => {
    const ended = streakWords({ current: 0, longest: 9, checked_in_today: false, since: null, next_milestone: 1 });
    expect(ended.headline).toBe("Start again today");
    expect(ended.detail).toContain("longest run is 9 days");
    const alive = streakWords({ current: 5, longest: 9, checked_in_today: false, since: "2026-11-25", next_milestone: 7 });
    expect(alive.detail).toContain("Check in today to make it 6.");
  });

  it("put the counts beside the share", () => {
    expect(helpedWords({ strategy: "Walk", uses: 10, passed: 8, used: 1, unknown: 1 })).toBe(
      "the craving passed without use 8 of 10 times (80%)",
    );
    expect(helpedWords({ strategy: "Tea", uses: 2, passed: 2, used: 0, unknown: 0 })).toBe(
      "the craving passed without use 2 of 2 times — too few yet to call it a pattern",
    );
  });
});
