import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Struggling from "./Struggling.svelte";
import { fakeBackend } from "../lib/fake";
import type { WorksheetDraft } from "../lib/bindings";

let restore = () => {};
afterEach(() => {
  restore();
  vi.useRealTimers();
});

const plan = {
  id: "p-1",
  data: {
    reasons: ["my daughter"],
    external_triggers: [],
    internal_triggers: [],
    warning_signs: [],
    coping_strategies: ["walk the dog", "call Sam"],
    contacts: [{ name: "Sam", relation: "sponsor", phone: "+1 (555) 010-0199" }],
    lapse_steps: ["tell my counselor the same day"],
    since: "2026-11-01T10:00:00-07:00",
    visibility: "care_team",
  },
};
const lines = [
  { name: "988 Suicide & Crisis Lifeline", phone: "988", sms: "988", about: "24/7" },
  { name: "SAMHSA National Helpline", phone: "1-800-662-4357", sms: "", about: "24/7" },
];

function backend(extra: (command: string, args: Record<string, unknown>) => unknown = () => null) {
  return fakeBackend(({ command, args }) => {
    if (command === "get_plan") return plan;
    if (command === "get_crisis_lines") return lines;
    if (command === "list_templates") return [{ id: "urge-surfing-log", version: "1.0.0" }];
    return extra(command, args);
  });
}

describe("Struggling", () => {
  it("shows the plan's people with tel: links, reasons, coping steps and both US crisis lines", async () => {
    const fake = backend();
    restore = fake.restore;
    render(Struggling, { onClose: () => {}, onEditPlan: () => {} });
    await waitFor(() => expect(document.getElementById("struggling-contacts")?.textContent).toMatch(/Sam, sponsor/));
    expect(screen.getByRole("link", { name: "Call +1 (555) 010-0199" }).getAttribute("href")).toBe("tel:+15550100199");
    expect(screen.getByRole("link", { name: "Call 988" }).getAttribute("href")).toBe("tel:988");
    expect(screen.getByRole("link", { name: "Call 1-800-662-4357" }).getAttribute("href")).toBe("tel:18006624357");
    expect(document.getElementById("struggling-reasons")?.textContent).toMatch(/my daughter/);
    expect(document.getElementById("struggling-coping")?.textContent).toMatch(/walk the dog/);
    expect(document.body.textContent).toMatch(/A slip is information, not failure/);
  });

  it("dials through Rust when a call link is tapped", async () => {
    const fake = backend();
    restore = fake.restore;
    render(Struggling, { onClose: () => {}, onEditPlan: () => {} });
    const link = await screen.findByRole("link", { name: "Call 988" });
    await fireEvent.click(link);
    expect(fake.calls.find((c) => c.command === "dial")?.args).toEqual({ number: "988" });
  });

  it("shows every line even when two share a name", async () => {
    const same = [
      { name: "Helpline", phone: "116 123", sms: "", about: "" },
      { name: "Helpline", phone: "0800 111", sms: "", about: "" },
    ];
    const fake = fakeBackend(({ command }) =>
      command === "get_crisis_lines" ? same : command === "list_templates" ? [] : null,
    );
    restore = fake.restore;
    render(Struggling, { onClose: () => {}, onEditPlan: () => {} });
    await waitFor(() => expect(document.querySelectorAll("#crisis-lines li")).toHaveLength(2));
    expect(document.body.textContent).toMatch(/Add the people you can reach out to in your plan/);
  });

  it("closes on Escape", async () => {
    const fake = backend();
    restore = fake.restore;
    let closed = false;
    render(Struggling, { onClose: () => (closed = true), onEditPlan: () => {} });
    await fireEvent.keyDown(document, { key: "Escape" });
    expect(closed).toBe(true);
  });

  it("times an urge-surfing session with a breathing guide and saves start, peak and end", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fake = backend((command, args) =>
      command === "create_worksheet" ? { id: "w-9", data: args.draft } : null,
    );
    restore = fake.restore;
    render(Struggling, { onClose: () => {}, onEditPlan: () => {} });
    await fireEvent.change(await screen.findByLabelText("7", { selector: "#surf-start-7" }));
    await fireEvent.click(screen.getByRole("button", { name: "Start surfing" }));
    expect(document.getElementById("surf-clock")?.textContent).toBe("15:00");
    expect(document.getElementById("breath-word")?.textContent).toBe("Breathe in…");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(document.getElementById("breath-word")?.textContent).toBe("Breathe out…");
    await fireEvent.change(document.getElementById("surf-now-9")!);
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    await waitFor(() => expect(document.getElementById("surf-end-0")).toBeTruthy());
    await fireEvent.change(document.getElementById("surf-end-3")!);
    await fireEvent.input(document.getElementById("surf-helped")!, { target: { value: "breathing, cold water" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save to my log" }));
    await waitFor(() => expect(document.getElementById("surf-saved")).toBeTruthy());
    const draft = fake.calls.find((c) => c.command === "create_worksheet")!.args.draft as WorksheetDraft;
    expect(draft.template).toBe("urge-surfing-log");
    expect(draft.status).toBe("complete");
    expect(draft.answers).toEqual({ start: [7], peak: [9], end: [3], minutes: [15], helped: ["breathing, cold water"] });
  });
});
