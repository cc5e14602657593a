import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Today from "./Today.svelte";
import { checkIn, emptyPage, fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("Today", () => {
  it("saves a craving rating in two interactions: a rating, then Log craving", async () => {
    const saved = checkIn("id-1", "2026-11-27T23:05:00-07:00", 6);
    const fake = fakeBackend(({ command }) =>
      command === "create_checkin" ? saved : command === "list_occurrences" ? [] : emptyPage,
    );
    restore = fake.restore;
    render(Today, { onDetails: () => {}, onFullForm: () => {}, onSchedule: () => {} });

    await fireEvent.click(screen.getByLabelText("6: strong"));
    await fireEvent.click(screen.getByRole("button", { name: "Log craving" }));

    await waitFor(() => expect(screen.getByRole("status").textContent).toMatch(/Logged a craving of 6 at 23:05/));
    const creates = fake.calls.filter((c) => c.command === "create_checkin");
    expect(creates).toHaveLength(1);
    expect((creates[0]?.args.draft as { craving: number }).craving).toBe(6);
  });

  it("asks for a rating instead of saving when none is chosen", async () => {
    const fake = fakeBackend(({ command }) => (command === "list_occurrences" ? [] : emptyPage));
    restore = fake.restore;
    render(Today, { onDetails: () => {}, onFullForm: () => {}, onSchedule: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Log craving" }));
    expect(screen.getByRole("alert").textContent).toMatch(/Choose how strong the craving is/);
    expect(fake.calls.some((c) => c.command === "create_checkin")).toBe(false);
  });
});

describe("Today's next session", () => {
  it("shows the next session with a countdown", async () => {
    const start = new Date(Date.now() + 125 * 60_000);
    const pad = (n: number) => String(n).padStart(2, "0");
    const offset = -start.getTimezoneOffset();
    const rfc = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}T${pad(start.getHours())}:${pad(start.getMinutes())}:${pad(start.getSeconds())}${offset >= 0 ? "+" : "-"}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`;
    const fake = fakeBackend(({ command }) =>
      command === "list_occurrences"
        ? [{ event_id: "e", title: "Evening group", kind: "relapse_prevention", place: "Room 2", link: "", occurrence: "x", start: rfc, end: rfc, moved: false, attendance: null }]
        : emptyPage,
    );
    restore = fake.restore;
    render(Today, { onDetails: () => {}, onFullForm: () => {}, onSchedule: () => {} });
    await waitFor(() => expect(screen.getByText("Evening group")).toBeTruthy());
    expect(document.getElementById("next-countdown")?.textContent).toMatch(/^in 2 h [45] min$/);
  });
});
