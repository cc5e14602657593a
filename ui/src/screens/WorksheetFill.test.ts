import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import WorksheetFill from "./WorksheetFill.svelte";
import { fakeBackend, served } from "../lib/fake";
import type { WorksheetDraft } from "../lib/bindings";
import thoughtRecord from "../../../crates/model/templates/cbt-thought-record.json";
import pacs from "../../../crates/model/templates/pacs.json";

let restore = () => {};
afterEach(() => restore());

const saved = (draft: WorksheetDraft, id = "w-1") => ({
  id,
  data: { ...draft, started: "2026-11-27T23:05:00-07:00", completed: null, assignment: null },
});

describe("WorksheetFill", () => {
  it("saves the thought record as the patient types: created once, then updated", async () => {
    const fake = fakeBackend(({ command, args }) =>
      command === "create_worksheet" || command === "update_worksheet" ? saved(args.draft as WorksheetDraft) : null,
    );
    restore = fake.restore;
    render(WorksheetFill, { template: served(thoughtRecord), entry: null, onDone: () => {}, onBack: () => {} });

    await fireEvent.input(document.getElementById("q-situation-0-situation-what-0")!, {
      target: { value: "Payday, walked past the bar" },
    });
    await waitFor(() => expect(document.getElementById("sheet-save-state")?.textContent).toBe("Saved on this device."));
    await fireEvent.input(document.getElementById("q-moods-0-moods-mood-0")!, { target: { value: "anxious" } });
    await fireEvent.input(document.getElementById("q-moods-0-moods-rating-0")!, { target: { value: "80" } });
    await waitFor(() => expect(fake.calls.some((c) => c.command === "update_worksheet")).toBe(true));

    const creates = fake.calls.filter((c) => c.command === "create_worksheet");
    expect(creates).toHaveLength(1);
    const first = creates[0]!.args.draft as WorksheetDraft;
    expect(first.template).toBe("cbt-thought-record");
    expect(first.status).toBe("draft");
    expect(first.answers).toEqual({ situation: [{ "situation.what": ["Payday, walked past the bar"] }] });
    const updates = fake.calls.filter((c) => c.command === "update_worksheet");
    const last = updates[updates.length - 1]!;
    expect(last.args.id).toBe("w-1");
    expect((last.args.draft as WorksheetDraft).answers.moods).toEqual([{ "moods.mood": ["anxious"], "moods.rating": [80] }]);
  });

  it("shows a refusal beside its item and marks the draft unsaved", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "create_worksheet") {
        throw {
          kind: "invalid",
          message: "\"How strong (0-100%)\" must be a whole number from 0 to 100; 120 is outside that range.",
          fields: [{ field: "answers.moods", message: "\"How strong (0-100%)\" must be a whole number from 0 to 100; 120 is outside that range." }],
        };
      }
      return null;
    });
    restore = fake.restore;
    render(WorksheetFill, { template: served(thoughtRecord), entry: null, onDone: () => {}, onBack: () => {} });
    await fireEvent.input(document.getElementById("q-moods-0-moods-rating-0")!, { target: { value: "120" } });
    await waitFor(() => expect(document.getElementById("q-moods-0-error")?.textContent).toMatch(/120 is outside that range/));
    expect(document.getElementById("sheet-save-state")?.textContent).toMatch(/Not saved yet/);
  });

  it("adds a second mood and lists Burns's ten thinking traps with their explanations", async () => {
    const fake = fakeBackend(({ args }) => saved(args.draft as WorksheetDraft));
    restore = fake.restore;
    render(WorksheetFill, { template: served(thoughtRecord), entry: null, onDone: () => {}, onBack: () => {} });
    await fireEvent.click(document.getElementById("q-moods-0-add")!);
    expect(document.getElementById("q-moods-1-moods-mood-0")).toBeTruthy();
    const traps = screen.getByText("Thinking traps in the hot thought").closest("fieldset")!;
    expect(traps.querySelectorAll("input[type=checkbox]")).toHaveLength(10);
    expect(traps.textContent).toMatch(/Emotional reasoning.*"I feel it, so it must be true."/);
  });

  it("completes a PACS and hands the saved worksheet on", async () => {
    let done: unknown = null;
    const fake = fakeBackend(({ command, args }) => {
      if (command === "worksheet_score") return { total: 30, min: 0, max: 30, complete: true };
      return saved(args.draft as WorksheetDraft);
    });
    restore = fake.restore;
    render(WorksheetFill, { template: served(pacs), entry: null, onDone: (e: unknown) => (done = e), onBack: () => {} });
    for (const link of ["frequency", "intensity", "duration", "resistance", "overall"]) {
      const group = document.querySelectorAll(`input[name="q-${link}-0"]`);
      expect(group).toHaveLength(7);
      await fireEvent.change(group[6]!);
    }
    await fireEvent.click(screen.getByRole("button", { name: "Mark complete" }));
    await waitFor(() => expect(done).not.toBeNull());
    const complete = fake.calls.filter((c) => (c.args.draft as WorksheetDraft | undefined)?.status === "complete");
    expect(complete).toHaveLength(1);
    expect((complete[0]!.args.draft as WorksheetDraft).answers).toEqual({
      frequency: ["6"], intensity: ["6"], duration: ["6"], resistance: ["6"], overall: ["6"],
    });
  });
});
