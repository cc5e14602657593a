import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import EventForm from "./EventForm.svelte";
import { fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("EventForm", () => {
  it("sends a weekly session with its days, end and reminders, in the device's zone", async () => {
    const fake = fakeBackend(({ command }) => (command === "device_zone" ? "America/Denver" : { id: "n", data: {} }));
    restore = fake.restore;
    let done = false;
    render(EventForm, { entry: null, onDone: () => (done = true), onCancel: () => {} });

    await waitFor(() => expect((screen.getByLabelText("Time zones matching the search") as HTMLSelectElement).value).toBe("America/Denver"));
    expect(screen.getByText("Time zone:").textContent).toContain("America/Denver");
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Evening group" } });
    await fireEvent.input(screen.getByLabelText("Starts"), { target: { value: "2026-11-30T18:00" } });
    await fireEvent.change(screen.getByLabelText("How often"), { target: { value: "weekly" } });
    await fireEvent.click(await screen.findByLabelText("Mon"));
    await fireEvent.click(screen.getByLabelText("Wed"));
    await fireEvent.click(screen.getByLabelText("After a number of sessions"));
    await fireEvent.input(await screen.findByLabelText("Number of sessions"), { target: { value: "12" } });
    // Reminders are choices: the defaults off, 30 minutes on, 45 added.
    await fireEvent.click(screen.getByLabelText("1 hour before"));
    await fireEvent.click(screen.getByLabelText("15 minutes before"));
    await fireEvent.click(screen.getByLabelText("30 minutes before"));
    await fireEvent.input(screen.getByLabelText("Another time, in minutes before"), { target: { value: "45" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    expect((screen.getByLabelText("45 minutes before") as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Add session" }));

    await waitFor(() => expect(done).toBe(true));
    expect(fake.calls.find((c) => c.command === "create_event")?.args.draft).toMatchObject({
      title: "Evening group",
      start: "2026-11-30T18:00:00",
      zone: "America/Denver",
      recurrence: { frequency: "weekly", interval: 1, by_day: ["MO", "WE"], count: 12, until: null },
      reminder_minutes: [30, 45],
    });
  });

  it("keeps what an imported series has and the form does not show when it is edited", async () => {
    const fake = fakeBackend(({ command }) => (command === "device_zone" ? "UTC" : { id: "e", data: {} }));
    restore = fake.restore;
    let done = false;
    const entry = {
      id: "e",
      data: {
        title: "Alumni lunch",
        kind: "other",
        place: "",
        link: "",
        start: "2026-02-10T12:00:00",
        zone: "America/Denver",
        duration_minutes: 60,
        recurrence: { frequency: "monthly", interval: 1, by_day: ["TU"], nth: [2, 4], count: null, until: "2026-12-31T17:00:00", week_start: "SU" },
        exceptions: [],
        added: ["2026-02-26T12:00:00"],
        all_day: false,
        reminder_minutes: [60],
        visibility: "care_team",
      },
    } as unknown as import("../lib/bindings").Entry<import("../lib/bindings").Event>;
    render(EventForm, { entry, onDone: () => (done = true), onCancel: () => {} });
    expect(screen.getByText(/Monthly on the 2nd and 4th Tue/)).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Alumni lunch, Room 5" } });
    await fireEvent.submit(screen.getByLabelText("Title").closest("form")!);
    await waitFor(() => expect(done).toBe(true));
    expect(fake.calls.find((c) => c.command === "update_event")?.args.draft).toMatchObject({
      title: "Alumni lunch, Room 5",
      recurrence: { frequency: "monthly", by_day: ["TU"], nth: [2, 4], until: "2026-12-31T17:00:00", week_start: "SU" },
      added: ["2026-02-26T12:00:00"],
      all_day: false,
    });
  });

  it("finds a zone by a city's name", async () => {
    const fake = fakeBackend(({ command }) => (command === "device_zone" ? "UTC" : null));
    restore = fake.restore;
    render(EventForm, { entry: null, onDone: () => {}, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Time zone"), { target: { value: "new york" } });
    const list = screen.getByLabelText("Time zones matching the search") as HTMLSelectElement;
    const offered = [...list.options].map((o) => o.value);
    expect(offered).toContain("America/New_York");
    expect(offered).not.toContain("Europe/Berlin");
  });

  it("refuses an other reminder that is not minutes, without calling Rust, and opens its section on Rust's error", async () => {
    const message = "Choose at most 5 reminders for one session.";
    const fake = fakeBackend(({ command }) => {
      if (command === "device_zone") return "UTC";
      if (command === "create_event") throw { kind: "invalid", message, fields: [{ field: "reminder_minutes", message }] };
      return null;
    });
    restore = fake.restore;
    render(EventForm, { entry: null, onDone: () => {}, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Another time, in minutes before"), { target: { value: "an hour" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    expect(document.getElementById("event-reminder_minutes-error")?.textContent).toMatch(/whole number/);
    expect(fake.calls.some((c) => c.command === "create_event")).toBe(false);
    const section = document.getElementById("event-reminders")!.closest("details")!;
    section.open = false;
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Group" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add session" }));
    await waitFor(() => expect(document.getElementById("event-reminder_minutes-error")?.textContent).toBe(message));
    expect(section.open).toBe(true);
  });
});
