import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Gate from "./Gate.svelte";
import { fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

const lines = [
  { name: "988 Suicide & Crisis Lifeline", phone: "988", sms: "988", about: "24/7" },
  { name: "SAMHSA National Helpline", phone: "1-800-662-4357", sms: "", about: "24/7" },
];
const locked = { kind: "open", locked: true, lock: { enabled: true, away_minutes: 5, offer_answered: true }, wait_seconds: 0 };

describe("the gate", () => {
  it("locked: shows crisis lines and the passcode, calls nothing that reads the log, and slows down", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "store_state") return locked;
      if (command === "lock_screen_lines") return lines;
      if (command === "unlock_app") return { outcome: "wrong", wait_seconds: 5 };
      throw { kind: "locked", message: "Steady is locked." };
    });
    restore = fake.restore;
    render(Gate);
    await screen.findByText("Steady is locked");
    await screen.findByText("Call 988");
    expect(screen.getByText("Call 1-800-662-4357")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Passcode"), { target: { value: "000000" } });
    await fireEvent.click(screen.getByRole("button", { name: "Unlock" }));
    await screen.findByText("That passcode is not right. Try again in 5 seconds.");
    expect((screen.getByRole("button", { name: "Unlock" }) as HTMLButtonElement).disabled).toBe(true);
    const called = new Set(fake.calls.map((c) => c.command));
    expect([...called].sort()).toEqual(["lock_screen_lines", "store_state", "unlock_app"]);
  });

  it("recovery: says nothing was changed and starts fresh only after the typed words", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "store_state")
        return { kind: "recovery", problem: "Your Steady log could not be unlocked.", folder: "/data/steady", set_aside: [] };
      if (command === "lock_screen_lines") return lines;
      if (command === "start_fresh") return { kind: "unavailable", message: "Opened elsewhere." };
      return null;
    });
    restore = fake.restore;
    render(Gate);
    await screen.findByText("Your Steady log could not be unlocked.");
    expect(screen.getByText("Nothing has been deleted or changed.")).toBeTruthy();
    expect(screen.getByText(/Private entries, and anything not yet synced, do not come back/)).toBeTruthy();
    const button = screen.getByRole("button", { name: "Start fresh" }) as HTMLButtonElement;
    await fireEvent.input(screen.getByLabelText("Type START FRESH to confirm"), { target: { value: "start fresh" } });
    expect(button.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Type START FRESH to confirm"), { target: { value: "START FRESH" } });
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await waitFor(() => expect(fake.calls.some((c) => c.command === "start_fresh" && c.args.confirmation === "START FRESH")).toBe(true));
  });
});

describe("the first start", () => {
  it("covers a locked-down app while its window is hidden", async () => {
    const unlocked = { kind: "open", locked: false, lock: { enabled: true, away_minutes: 5, offer_answered: true }, wait_seconds: 0 };
    const fake = fakeBackend(({ command }) => {
      if (command === "store_state") return unlocked;
      if (command === "lock_screen_lines") return lines;
      if (command === "pending_pair_link") return null;
      if (command === "sync_status") return { paired: false, server: null, consent: null, pending: 0, quarantined: 0, log: { last_success: null, last_attempt: null, last_error: null, refused: [] } };
      if (command.startsWith("list_")) return command === "list_messages" || command === "list_assignments" || command === "list_occurrences" ? [] : { items: [], next: null };
      return null;
    });
    restore = fake.restore;
    render(Gate);
    await screen.findByRole("button", { name: "Lock" });
    expect(document.getElementById("privacy-cover")).toBeNull();
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
    await waitFor(() => expect(document.getElementById("privacy-cover")).not.toBeNull());
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
    document.dispatchEvent(new Event("visibilitychange"));
    await waitFor(() => expect(document.getElementById("privacy-cover")).toBeNull());
  });
});
