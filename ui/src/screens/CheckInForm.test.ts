import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import CheckInForm from "./CheckInForm.svelte";
import { checkIn, emptyPage, fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("CheckInForm", () => {
  it("shows Rust's message beside the field it concerns", async () => {
    const message = "Craving must be a whole number from 0 (none) to 10; 11 is outside that range.";
    const fake = fakeBackend(({ command }) => {
      if (command === "create_checkin") throw { kind: "invalid", message, fields: [{ field: "craving", message }] };
      return emptyPage;
    });
    restore = fake.restore;
    let done = false;
    render(CheckInForm, { entry: null, onDone: () => (done = true), onCancel: () => {} });

    const craving = screen.getByLabelText("Craving, 0 to 10");
    await fireEvent.input(craving, { target: { value: "11" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save check-in" }));

    await waitFor(() => expect(document.getElementById("checkin-craving-error")?.textContent).toBe(message));
    expect(craving.getAttribute("aria-invalid")).toBe("true");
    expect(craving.getAttribute("aria-describedby")).toContain("checkin-craving-error");
    expect(done).toBe(false);
  });

  it("sends every field of the form", async () => {
    const fake = fakeBackend(({ command }) => (command === "create_checkin" ? checkIn("n", "2026-11-27T10:00:00Z", 3) : emptyPage));
    restore = fake.restore;
    let done = false;
    render(CheckInForm, { entry: null, onDone: () => (done = true), onCancel: () => {} });

    await fireEvent.input(screen.getByLabelText("Craving, 0 to 10"), { target: { value: "3" } });
    await fireEvent.change(screen.getByLabelText("Mood"), { target: { value: "-2" } });
    await fireEvent.click(screen.getByLabelText("Tired"));
    await fireEvent.input(screen.getByLabelText("Substances craved"), { target: { value: "alcohol, nicotine" } });
    await fireEvent.input(screen.getByLabelText("Where were you?"), { target: { value: "home" } });
    await fireEvent.input(screen.getByLabelText("Coping you used"), { target: { value: "walk" } });
    await fireEvent.click(screen.getByLabelText("Rode it out"));
    await fireEvent.input(screen.getByLabelText("Note"), { target: { value: "ok now" } });
    await fireEvent.click(screen.getByLabelText("Keep on this device only"));
    await fireEvent.click(screen.getByRole("button", { name: "Save check-in" }));

    await waitFor(() => expect(done).toBe(true));
    const draft = fake.calls.find((c) => c.command === "create_checkin")?.args.draft;
    expect(draft).toMatchObject({
      at: null,
      craving: 3,
      mood: -2,
      halt: { hungry: false, angry: false, lonely: false, tired: true },
      substances: ["alcohol", "nicotine"],
      place: "home",
      coping: ["walk"],
      outcome: "resisted",
      note: "ok now",
      visibility: "private",
    });
  });

  it("edits keep the time and offset the entry was logged with", async () => {
    const entry = checkIn("e1", "2026-11-20T23:10:00-07:00", 8);
    const fake = fakeBackend(({ command }) => (command === "update_checkin" ? entry : emptyPage));
    restore = fake.restore;
    render(CheckInForm, { entry, onDone: () => {}, onCancel: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(fake.calls.some((c) => c.command === "update_checkin")).toBe(true));
    const call = fake.calls.find((c) => c.command === "update_checkin");
    expect(call?.args.id).toBe("e1");
    expect((call?.args.draft as { at: string }).at).toBe("2026-11-20T23:10:00-07:00");
  });
});
