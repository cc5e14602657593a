import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import History from "./History.svelte";
import { checkIn, fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("History", () => {
  it("groups by day, newest first, and deletes only after confirmation", async () => {
    const items = [
      checkIn("c", "2026-11-27T09:00:00-07:00", 2, { note: "morning" }),
      checkIn("b", "2026-11-26T23:00:00-07:00", 9, { note: "late" }),
      checkIn("a", "2026-11-26T08:00:00-07:00", 4),
    ];
    const fake = fakeBackend(({ command }) => (command === "list_checkins" ? { items, next: null } : null));
    restore = fake.restore;
    render(History, { onEdit: () => {} });

    const headings = await screen.findAllByRole("heading", { level: 2 });
    expect(headings.map((h) => h.id)).toEqual(["day-2026-11-27", "day-2026-11-26"]);
    const second = headings[1]!.closest("section")!;
    expect(within(second).getAllByText(/^Craving/).map((e) => e.textContent)).toEqual(["Craving 9", "Craving 4"]);

    await fireEvent.click(screen.getByRole("button", { name: "Delete check-in at 23:00" }));
    expect(fake.calls.some((c) => c.command === "delete_checkin")).toBe(false);
    await fireEvent.click(screen.getByRole("button", { name: "Yes, delete" }));
    await waitFor(() => expect(screen.queryByText("late")).toBeNull());
    expect(fake.calls.find((c) => c.command === "delete_checkin")?.args).toEqual({ id: "b" });
  });
});
