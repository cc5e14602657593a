import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import Schedule from "./Schedule.svelte";
import { fakeBackend } from "../lib/fake";
import { addDays, isoDay, mondayOf } from "../lib/time";
import type { OccurrenceView } from "../lib/bindings";

let restore = () => {};
afterEach(() => restore());

function occurrence(day: Date, hour: number, title: string): OccurrenceView {
  const d = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour);
  const iso = `${isoDay(d)}T${String(hour).padStart(2, "0")}:00:00`;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const tz = `${sign}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
  return { event_id: `ev-${title}`, title, kind: "relapse_prevention", place: "", link: "", occurrence: iso, start: iso + tz, end: iso + tz, moved: false, attendance: null };
}

describe("Schedule", () => {
  it("shows each day of the week with its sessions, today marked, and marks attendance", async () => {
    const monday = mondayOf(new Date());
    const past = occurrence(monday, 0, "Monday group");
    const fake = fakeBackend(({ command }) => {
      switch (command) {
        case "list_occurrences":
          return [past];
        case "week_hours":
          return { week_start: isoDay(monday), attended_minutes: 90, scheduled_minutes: 180, target_hours: 9 };
        case "get_reminder_settings":
          return { daily_checkin: null, quiet_hours: null, detailed_wording: false };
        case "get_program":
          return null;
        case "meeting_feeds":
          return [];
        default:
          return null;
      }
    });
    restore = fake.restore;
    render(Schedule, {});

    const headings = await screen.findAllByRole("heading", { level: 2 });
    const dayIds = headings.map((h) => h.id).filter((id) => id.startsWith("sched-"));
    expect(dayIds).toEqual(Array.from({ length: 7 }, (_, i) => `sched-${isoDay(addDays(monday, i))}`));
    const today = document.getElementById(`sched-${isoDay(new Date())}`);
    expect(today?.textContent).toContain("Today");
    const bar = await screen.findByLabelText("1.5 of 9 hours this week");
    expect(bar.getAttribute("value")).toBe("1.5");
    expect(bar.getAttribute("max")).toBe("9");

    const mondaySection = document.getElementById(`sched-${isoDay(monday)}`)!.closest("section")!;
    await waitFor(() => expect(within(mondaySection).getByText("Monday group")).toBeTruthy());
    await fireEvent.click(within(mondaySection).getByRole("button", { name: "Attended" }));
    await waitFor(() => expect(fake.calls.some((c) => c.command === "mark_attendance")).toBe(true));
    expect(fake.calls.find((c) => c.command === "mark_attendance")?.args).toEqual({
      mark: { event_id: "ev-Monday group", occurrence: past.occurrence, status: "attended", minutes: null },
    });
  });
});
