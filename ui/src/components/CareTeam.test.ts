import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import CareTeam from "./CareTeam.svelte";
import { emptyPage, fakeBackend } from "../lib/fake";
import type { Assignment, Entry, Message } from "../lib/bindings";

let restore = () => {};
afterEach(() => restore());

const message: Entry<Message> = {
  id: "m1",
  data: { text: "How did the weekend go?", from: "Dana", sent: "2026-11-26T09:00:00-07:00", visibility: "care_team" },
};
const assignment: Entry<Assignment> = {
  id: "a1",
  data: { template: "cbt-thought-record", due: "2026-11-30", note: "About Thursday", from: "Dana", assigned: "2026-11-26T09:00:00-07:00", visibility: "care_team" },
};

describe("From your care team", () => {
  it("shows unread messages and assignments; a read message leaves the card for Messages", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "list_messages") return [message];
      if (command === "list_assignments") return [assignment];
      if (command === "list_worksheets") return emptyPage;
      if (command === "list_templates") return [{ id: "cbt-thought-record", version: "1.0.0", title: "Thought record", item: [] }];
      if (command === "mark_message_read") return { ...message, data: { ...message.data, read_at: "2026-11-27T08:00:00-07:00" } };
      throw new Error(command);
    });
    restore = fake.restore;
    const onStart = vi.fn();
    const onReply = vi.fn();
    const onMessages = vi.fn();
    render(CareTeam, { onStart, onReply, onMessages });
    await screen.findByText("How did the weekend go?");
    expect(screen.getByText("Dana: About Thursday")).toBeTruthy();
    // The worksheet by its title, not the template's internal id.
    expect(screen.getByText(/^Thought record · due/)).toBeTruthy();
    expect(screen.queryByText(/cbt/)).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Reply" }));
    expect(onReply).toHaveBeenCalledWith(message);
    await fireEvent.click(screen.getByRole("button", { name: "Mark as read" }));
    await waitFor(() => expect(screen.queryByText("How did the weekend go?")).toBeNull());
    expect(fake.calls.find((c) => c.command === "mark_message_read")!.args).toEqual({ id: "m1" });
    await fireEvent.click(screen.getByRole("button", { name: "Messages with your care team (1)" }));
    expect(onMessages).toHaveBeenCalled();
    await fireEvent.click(screen.getByRole("button", { name: "Start" }));
    expect(onStart).toHaveBeenCalledWith(assignment);
  });
});
