import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Progress from "./Progress.svelte";
import { fakeBackend } from "../lib/fake";
import type { InsightReport, Progress as ProgressView } from "../lib/bindings";

let restore = () => {};
afterEach(() => restore());

const off: ProgressView = {
  today: "2026-11-30",
  settings: { checkin_streak: false, days_without_use_from: null, program: false },
  streak: null,
  days_without_use: null,
  chips: [],
  new_milestones: [],
  program: null,
};

function report(days: number): InsightReport {
  const from: Record<number, string> = { 7: "2026-11-24", 30: "2026-11-01", 90: "2026-09-02" };
  return {
    from: from[days] ?? "2026-11-01",
    to: "2026-11-30",
    days,
    trend: [{ date: "2026-11-30", checkins: 2, mean: 5, max: 8 }],
    heatmap: [{ weekday: "Fri", hour: 19, checkins: 2, mean_craving: 8 }],
    top_triggers: [{ category: "places", entries: 3, mean_intensity: 6 }],
    halt: { checkins: 2, hungry: 1, angry: 0, lonely: 2, tired: 0 },
    weeks: [{ week_start: "2026-11-24", attended_minutes: 360, sessions_attended: 2, sessions_missed: 0, target_hours: 9, target_met: false }],
    helped: [{ strategy: "Called Sam", uses: 10, passed: 8, used: 1, unknown: 1 }],
  };
}

describe("Progress", () => {
  it("counts nothing until the patient chooses, then shows what they chose", async () => {
    let saved: unknown = null;
    const fake = fakeBackend(({ command, args }) => {
      switch (command) {
        case "progress":
          return off;
        case "insights":
          return (args.periods as number[]).map(report);
        case "set_progress_settings":
          saved = args.settings;
          return {
            ...off,
            settings: args.settings,
            streak: { current: 7, longest: 7, checked_in_today: true, since: "2026-11-24", next_milestone: 30 },
            chips: [{ counter: "checkin_streak", days: 1, since: "2026-11-24", reached_on: "2026-11-24" },
                    { counter: "checkin_streak", days: 7, since: "2026-11-24", reached_on: "2026-11-30" }],
            new_milestones: [{ counter: "checkin_streak", days: 7, since: "2026-11-24", reached_on: "2026-11-30" }],
          };
        default:
          return null;
      }
    });
    restore = fake.restore;
    render(Progress, {});
    expect(await screen.findByText(/Each is off until you choose it/)).toBeTruthy();
    expect(document.getElementById("streak")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Choose what to count" }));
    await fireEvent.click(screen.getByLabelText("Days in a row with a check-in"));
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(document.getElementById("streak")).toBeTruthy());
    expect(saved).toEqual({ checkin_streak: true, days_without_use_from: null, program: false });
    expect(document.getElementById("streak")!.textContent).toContain("7 days in a row with a check-in");
    expect(document.getElementById("new-chips")!.textContent).toContain("New chip: 7 days of check-ins in a row.");
    expect(screen.getByLabelText("Check-in chips").textContent).toContain("24 hours");
  });

  it("shows the insights for 7, 30 or 90 days with tables and words", async () => {
    const fake = fakeBackend(({ command, args }) =>
      command === "insights" ? (args.periods as number[]).map(report) : command === "progress" ? off : null,
    );
    restore = fake.restore;
    render(Progress, {});
    const helped = await screen.findByRole("table", { name: "Coping steps and how often the craving passed" });
    expect(helped.textContent).toContain("Called Sam");
    expect(document.getElementById("what-helped")!.textContent).toContain("8 of 10 times (80%)");
    expect(document.getElementById("my-triggers")!.textContent).toContain("Places");
    expect(fake.calls.filter((c) => c.command === "insights").map((c) => c.args.periods)).toEqual([[7, 30, 90]]);
    expect(document.querySelector(".insights .hint")!.textContent).toContain("Nov 1, 2026");
    await fireEvent.click(screen.getByRole("button", { name: "90 days" }));
    expect(screen.getByRole("button", { name: "90 days" }).getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(document.querySelector(".insights .hint")!.textContent).toContain("Sep 2, 2026"));
    // Switching asks nothing more of the device.
    expect(fake.calls.filter((c) => c.command === "insights")).toHaveLength(1);
  });
});
