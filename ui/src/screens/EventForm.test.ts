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

    await waitFor(() => expect((screen.getByLabelText("Time zone") as HTMLInputElement).value).toBe("America/Denver"));
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Evening group" } });
    await fireEvent.input(screen.getByLabelText("Starts"), { target: { value: "2026-11-30T18:00" } });
    await fireEvent.change(screen.getByLabelText("How often"), { target: { value: "weekly" } });
    await fireEvent.click(await screen.findByLabelText("Mon"));
    await fireEvent.click(screen.getByLabelText("Wed"));
    await fireEvent.click(screen.getByLabelText("After a number of sessions"));
    await fireEvent.input(await screen.findByLabelText("Number of sessions"), { target: { value: "12" } });
    await fireEvent.input(screen.getByLabelText("Reminders, minutes before"), { target: { value: "30, 5" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add session" }));

    await waitFor(() => expect(done).toBe(true));
    expect(fake.calls.find((c) => c.command === "create_event")?.args.draft).toMatchObject({
      title: "Evening group",
      start: "2026-11-30T18:00:00",
      zone: "America/Denver",
      recurrence: { frequency: "weekly", interval: 1, by_day: ["MO", "WE"], count: 12, until: null },
      reminder_minutes: [30, 5],
    });
  });

  it("refuses reminder text that is not minutes, without calling Rust", async () => {
    const fake = fakeBackend(({ command }) => (command === "device_zone" ? "UTC" : null));
    restore = fake.restore;
    render(EventForm, { entry: null, onDone: () => {}, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Reminders, minutes before"), { target: { value: "an hour" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add session" }));
    expect(document.getElementById("event-reminder_minutes-error")?.textContent).toMatch(/minutes before/);
    expect(fake.calls.some((c) => c.command === "create_event")).toBe(false);
  });
});
