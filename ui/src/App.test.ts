import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import App from "./App.svelte";
import { emptyPage, fakeBackend, notPaired, served } from "./lib/fake";
import thoughtRecord from "../../crates/model/templates/cbt-thought-record.json";

let restore = () => {};
afterEach(() => restore());

const draft = {
  id: "w-1",
  data: {
    template: "cbt-thought-record",
    version: "1.0.0",
    status: "draft",
    started: "2026-11-27T21:00:00-07:00",
    completed: null,
    answers: { situation: [{ "situation.what": ["Payday"] }], "evidence-against": ["41 days"] },
    visibility: "care_team",
    assignment: null,
  },
};

describe("App", () => {
  it("continues a draft worksheet from the list with its answers in place", async () => {
    const template = served(thoughtRecord);
    const fake = fakeBackend(({ command }) => {
      if (command === "list_templates") return [template];
      if (command === "get_template") return template;
      if (command === "list_worksheets") return { items: [draft], next: null };
      if (command === "list_occurrences") return [];
      if (command === "list_messages" || command === "list_assignments") return [];
      if (command === "pending_pair_link") return null;
      if (command === "sync_status") return notPaired;
      return emptyPage;
    });
    restore = fake.restore;
    render(App);
    await fireEvent.click(document.getElementById("nav-worksheets")!);
    await fireEvent.click(await screen.findByRole("button", { name: "Continue" }));
    await waitFor(() => expect(document.getElementById("q-situation-0-situation-what-0")).toBeTruthy());
    expect((document.getElementById("q-situation-0-situation-what-0") as HTMLInputElement).value).toBe("Payday");
    expect((document.getElementById("q-evidence-against-0") as HTMLTextAreaElement).value).toBe("41 days");
  });

  it("opens I'm struggling from the header over any screen", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "get_plan") return null;
      if (command === "get_crisis_lines") return [{ name: "988 Suicide & Crisis Lifeline", phone: "988", sms: "988", about: "" }];
      if (command === "list_templates") return [];
      if (command === "list_occurrences") return [];
      if (command === "get_program") return null;
      if (command === "week_hours") return { week_start: "2026-11-23", attended_minutes: 0, scheduled_minutes: 0, target_hours: null };
      if (command === "list_messages" || command === "list_assignments") return [];
      if (command === "pending_pair_link") return null;
      if (command === "sync_status") return notPaired;
      return emptyPage;
    });
    restore = fake.restore;
    render(App);
    for (const tab of ["today", "history", "schedule"]) {
      await fireEvent.click(document.getElementById(`nav-${tab}`)!);
      await fireEvent.click(screen.getByRole("button", { name: "I'm struggling" }));
      await waitFor(() => expect(screen.getByRole("link", { name: "Call 988" })).toBeTruthy());
      await fireEvent.click(document.getElementById("struggling-close")!);
      expect(document.getElementById("struggling-panel")).toBeNull();
    }
  });
});
