import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import CheckInForm from "./CheckInForm.svelte";
import { checkIn, emptyPage, fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("CheckInForm", () => {
  it("shows Rust's message beside the field it concerns", async () => {
    const message = "Where you were is 201 characters long; keep it to 200 or fewer.";
    const fake = fakeBackend(({ command }) => {
      if (command === "create_checkin") throw { kind: "invalid", message, fields: [{ field: "place", message }] };
      return emptyPage;
    });
    restore = fake.restore;
    let done = false;
    render(CheckInForm, { entry: null, onDone: () => (done = true), onCancel: () => {} });

    await fireEvent.click(screen.getByLabelText("3: mild"));
    const place = screen.getByLabelText("Where were you?");
    await fireEvent.input(place, { target: { value: "x".repeat(201) } });
    await fireEvent.click(screen.getByRole("button", { name: "Save check-in" }));

    await waitFor(() => expect(document.getElementById("checkin-place-error")?.textContent).toBe(message));
    expect(place.getAttribute("aria-invalid")).toBe("true");
    expect(place.getAttribute("aria-describedby")).toContain("checkin-place-error");
    expect(done).toBe(false);
  });

  it("asks for the craving on the tap scale before saving anything", async () => {
    const fake = fakeBackend(() => emptyPage);
    restore = fake.restore;
    render(CheckInForm, { entry: null, onDone: () => {}, onCancel: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Save check-in" }));
    await waitFor(() => expect(document.getElementById("checkin-craving-error")?.textContent).toMatch(/Rate the craving from 0/));
    expect(document.activeElement?.id).toBe("checkin-craving");
    expect(fake.calls.some((c) => c.command === "create_checkin")).toBe(false);
  });

  it("sends every field of the form; words are chips, with the patient's own added and remembered", async () => {
    const earlier = checkIn("old", "2026-11-20T10:00:00Z", 5, { coping: ["called Sam"] });
    const fake = fakeBackend(({ command }) => {
      if (command === "create_checkin") return checkIn("n", "2026-11-27T10:00:00Z", 3);
      if (command === "list_checkins") return { items: [earlier], next: null };
      return emptyPage;
    });
    restore = fake.restore;
    let done = false;
    render(CheckInForm, { entry: null, onDone: () => (done = true), onCancel: () => {} });

    await fireEvent.click(screen.getByLabelText("3: mild"));
    await fireEvent.change(screen.getByLabelText("Mood"), { target: { value: "-2" } });
    await fireEvent.click(screen.getByLabelText("restless"));
    await fireEvent.click(screen.getByLabelText("Tired"));
    await fireEvent.click(screen.getByLabelText("alcohol"));
    await fireEvent.input(screen.getByLabelText("Add your own to substances craved"), { target: { value: " kratom " } });
    await fireEvent.click(screen.getAllByRole("button", { name: "Add" })[1]!);
    await fireEvent.input(screen.getByLabelText("Where were you?"), { target: { value: "home" } });
    // A coping step from an earlier check-in is offered as a chip.
    await fireEvent.click(await screen.findByLabelText("called Sam"));
    await fireEvent.click(screen.getByLabelText("Rode it out"));
    await fireEvent.input(screen.getByLabelText("Note"), { target: { value: "ok now" } });
    await fireEvent.click(screen.getByLabelText("Keep on this device only"));
    expect((screen.getByLabelText("kratom") as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Save check-in" }));

    await waitFor(() => expect(done).toBe(true));
    const draft = fake.calls.find((c) => c.command === "create_checkin")?.args.draft;
    expect(draft).toMatchObject({
      at: null,
      craving: 3,
      mood: -2,
      emotions: ["restless"],
      halt: { hungry: false, angry: false, lonely: false, tired: true },
      substances: ["alcohol", "kratom"],
      place: "home",
      coping: ["called Sam"],
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
