import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import WeeklyReview from "./WeeklyReview.svelte";
import { fakeBackend } from "../lib/fake";
import type { WeeklyReview as Review } from "../lib/bindings";
import { asJournal } from "../lib/review";

let restore = () => {};
afterEach(() => restore());

const review: Review = {
  this_week: { week_start: "2026-11-30", checkins: 3, mean_craving: 17 / 3, max_craving: 8, sessions_attended: 2, attended_minutes: 360, worksheets_done: 1 },
  last_week: { week_start: "2026-11-23", checkins: 2, mean_craving: 3, max_craving: 4, sessions_attended: 3, attended_minutes: 540, worksheets_done: 2 },
  target_hours: 9,
  top_trigger: { category: "places", entries: 2, mean_intensity: 5 },
  helped_most: { strategy: "Walk", uses: 2, passed: 2, used: 0, unknown: 0 },
  helped_days: 7,
  reason: "My health",
};

describe("WeeklyReview", () => {
  it("sets this week against last and keeps it as a private journal entry", async () => {
    let saved: unknown = null;
    const fake = fakeBackend(({ command, args }) => {
      if (command === "weekly_review") return review;
      if (command === "create_journal") {
        saved = args.draft;
        return { id: "j1", data: { ...(args.draft as object), at: "2026-12-06T18:05:00-07:00" } };
      }
      if (command === "list_journal")
        return saved ? { items: [{ id: "j1", data: { ...(saved as object), at: "2026-12-06T18:05:00-07:00" } }], next: null } : { items: [], next: null };
      return null;
    });
    restore = fake.restore;
    render(WeeklyReview, {});
    const table = await screen.findByRole("table", { name: "This week against last week" });
    const cells = (label: string) =>
      [...table.querySelectorAll("tr")].find((r) => r.querySelector("th")?.textContent === label)!.querySelectorAll("td");
    expect([...cells("Check-ins")].map((c) => c.textContent)).toEqual(["3", "2"]);
    expect([...cells("Average craving (0–10)")].map((c) => c.textContent)).toEqual(["5.7", "3.0"]);
    expect([...cells("Hours attended (target 9)")].map((c) => c.textContent)).toEqual(["6.0 of 9", "9.0 of 9"]);
    expect(document.getElementById("review-trigger")!.textContent).toBe("Places: 2 times this week.");
    expect(document.getElementById("review-helped")!.textContent).toBe(
      "Walk: the craving passed without use 2 of 2 times this week.",
    );
    expect(document.getElementById("review-reason")!.textContent).toBe("My health");

    await fireEvent.click(screen.getByRole("button", { name: "Save to my journal" }));
    await waitFor(() => expect(document.getElementById("review-saved")).toBeTruthy());
    expect(saved).toMatchObject({ visibility: "private", title: asJournal(review).title });
    expect((saved as { text: string }).text).toContain("- Check-ins: 3 (last week 2)");
    expect((saved as { text: string }).text).toContain("My reason: My health");
    expect(document.getElementById("journal-list")!.textContent).toContain("My week,");
  });
});
