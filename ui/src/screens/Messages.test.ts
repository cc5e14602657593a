import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Messages from "./Messages.svelte";
import { fakeBackend } from "../lib/fake";
import type { Entry, Message, Reply, SyncStatus } from "../lib/bindings";

let restore = () => {};
afterEach(() => restore());

const message: Entry<Message> = {
  id: "m1",
  data: { text: "How did the weekend go?", from: "Dana", sent: "2026-11-26T09:00:00-07:00", visibility: "care_team" },
};
const log = { last_success: null, last_attempt: null, last_error: null, refused: [] };
const sharing: SyncStatus = {
  paired: true,
  server: "https://clinic.example",
  consent: { recipient: "Riverside IOP", kinds: ["checkin"], purpose: "treatment", expires_at: "2027-06-01T00:00:00Z" },
  pending: 0,
  quarantined: 0,
  log,
};

describe("Messages", () => {
  it("answers a message: the reply names it, the message is read, the conversation shows both", async () => {
    let replies: Entry<Reply>[] = [];
    let read = false;
    const fake = fakeBackend(({ command, args }) => {
      if (command === "list_messages") return [read ? { ...message, data: { ...message.data, read_at: "2026-11-26T10:00:00-07:00" } } : message];
      if (command === "list_replies") return replies;
      if (command === "sync_status") return sharing;
      if (command === "sync_now") return null;
      if (command === "mark_message_read") {
        read = true;
        return message;
      }
      if (command === "send_reply") {
        const draft = args.draft as { text: string; in_reply_to: string | null };
        const entry: Entry<Reply> = {
          id: "r1",
          data: { text: draft.text.trim(), in_reply_to: draft.in_reply_to ?? undefined, sent: "2026-11-26T10:00:00-07:00", visibility: "care_team" },
        };
        replies = [entry];
        return entry;
      }
      throw new Error(command);
    });
    restore = fake.restore;
    render(Messages, { replyTo: message, onBack: vi.fn() });
    await screen.findByText(/Answering Dana/);
    await fireEvent.input(screen.getByLabelText("Write to your care team"), { target: { value: "Better than I thought." } });
    await fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByText(/It reaches your care team the next time Steady syncs/);
    expect(fake.calls.find((c) => c.command === "send_reply")!.args).toEqual({
      draft: { text: "Better than I thought.", in_reply_to: "m1" },
    });
    expect(fake.calls.some((c) => c.command === "mark_message_read")).toBe(true);
    await waitFor(() => expect(screen.getByText("Better than I thought.")).toBeTruthy());
    expect(screen.getByText("Not read yet")).toBeTruthy();
    expect(screen.queryByText(/Answering Dana/)).toBeNull();
  });

  it("says why a reply cannot go when sharing is off, and offers no form", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "list_messages") return [message];
      if (command === "list_replies") return [];
      if (command === "sync_status") return { ...sharing, consent: null };
      throw new Error(command);
    });
    restore = fake.restore;
    render(Messages, { onBack: vi.fn() });
    await screen.findByText(/Sharing with your care team is off/);
    expect(screen.queryByLabelText("Write to your care team")).toBeNull();
    expect(screen.getByText("How did the weekend go?")).toBeTruthy();
  });
});
