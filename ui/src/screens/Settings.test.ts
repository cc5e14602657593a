import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Settings from "./Settings.svelte";
import { fakeBackend, notPaired } from "../lib/fake";
import type { ConsentTerms, SyncStatus } from "../lib/bindings";

let restore = () => {};
afterEach(() => restore());

describe("Settings: sharing with the clinic", () => {
  it("pairs only after the consent, in plain words, is accepted", async () => {
    let status: SyncStatus = notPaired;
    const fake = fakeBackend(({ command, args }) => {
      if (command === "sync_status") return status;
      if (command === "list_disclosures") return { entries: [], more: false, fetched_at: null };
      if (command === "preview_pairing") return { clinic: "Riverside IOP", counselor: "Dana Reyes" };
      if (command === "pair_clinic") {
        const consent = args.consent as ConsentTerms;
        status = { ...notPaired, paired: true, server: args.server as string, consent };
        return status;
      }
      if (command === "revoke_consent") {
        status = { ...status, consent: null };
        return status;
      }
      throw new Error(command);
    });
    restore = fake.restore;
    render(Settings);
    await fireEvent.input(await screen.findByLabelText("Your clinic's Steady address"), {
      target: { value: "https://steady.riverside.example" },
    });
    await fireEvent.input(screen.getByLabelText("Pairing code"), { target: { value: "ABCDE-FGH23" } });
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByRole("heading", { name: "Share with Dana Reyes and the care team at Riverside IOP?" });
    expect(fake.calls.some((c) => c.command === "pair_clinic")).toBe(false);
    expect(screen.getByText("Entries you mark private never leave this device.")).toBeTruthy();
    await fireEvent.click(document.getElementById("consent-kind-program")!);
    await fireEvent.click(screen.getByRole("button", { name: "I agree — share" }));
    await screen.findByText(/Paired with/);
    const pair = fake.calls.find((c) => c.command === "pair_clinic")!;
    const consent = pair.args.consent as ConsentTerms;
    expect(pair.args.code).toBe("ABCDE-FGH23");
    expect(consent.recipient).toBe("Dana Reyes and the care team at Riverside IOP");
    expect(consent.kinds).toEqual(["checkin", "trigger", "worksheet", "plan", "event", "attendance", "journal"]);
    expect(consent.purpose).toContain("Riverside IOP");
    const months = (new Date(consent.expires_at).getTime() - Date.now()) / (30.4 * 86400_000);
    expect(Math.round(months)).toBe(6);
    expect(document.getElementById("consent-summary")!.textContent).toContain("Trigger log");

    // Stopping asks first, then says sharing is off.
    await fireEvent.click(screen.getByRole("button", { name: "Stop sharing" }));
    expect(fake.calls.some((c) => c.command === "revoke_consent")).toBe(false);
    await fireEvent.click(document.getElementById("consent-revoke-confirm")!);
    await waitFor(() => expect(document.getElementById("consent-summary")!.textContent).toContain("Sharing is off."));
  });

  it("shows a wrong code's refusal and pairs nothing", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "sync_status") return notPaired;
      if (command === "list_disclosures") return { entries: [], more: false, fetched_at: null };
      if (command === "preview_pairing")
        throw { kind: "storage", message: "Your clinic's server refused the request: That code has expired or was already used; ask your counselor for a new one." };
      throw new Error(command);
    });
    restore = fake.restore;
    render(Settings);
    await fireEvent.input(await screen.findByLabelText("Your clinic's Steady address"), { target: { value: "https://x.example" } });
    await fireEvent.input(screen.getByLabelText("Pairing code"), { target: { value: "ZZZZZ-ZZZZZ" } });
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect((await screen.findByRole("alert")).textContent).toContain("ask your counselor for a new one");
    expect(document.getElementById("consent")).toBeNull();
  });

  it("on a phone, fills the form from the QR code the camera reads, and says what is wrong with one that is not Steady's", async () => {
    let scanned = "steady://pair?server=https%3A%2F%2Fsteady.clinic.example&code=abcde-fgh2k";
    const fake = fakeBackend(({ command, args }) => {
      if (command === "sync_status") return notPaired;
      if (command === "list_disclosures") return { entries: [], more: false, fetched_at: null };
      if (command === "pending_pair_link") return null;
      if (command === "can_scan") return true;
      if (command === "plugin:barcode-scanner|scan") return { content: scanned, format: "QR_CODE", bounds: null };
      if (command === "read_pair_link") {
        if ((args.link as string).startsWith("steady://")) return { server: "https://steady.clinic.example", code: "ABCDE-FGH2K" };
        const message = "This is not a Steady pairing link: it does not start with steady://.";
        throw { kind: "invalid", message, fields: [{ field: "link", message }] };
      }
      throw new Error(command);
    });
    restore = fake.restore;
    render(Settings);
    await fireEvent.click(await screen.findByRole("button", { name: "Scan the QR code from your counselor" }));
    await screen.findByText(/Filled in from the QR code/);
    expect((screen.getByLabelText("Your clinic's Steady address") as HTMLInputElement).value).toBe("https://steady.clinic.example");
    expect((screen.getByLabelText("Pairing code") as HTMLInputElement).value).toBe("ABCDE-FGH2K");
    expect(fake.calls.find((c) => c.command === "plugin:barcode-scanner|scan")!.args).toMatchObject({ formats: ["QR_CODE"] });
    expect(fake.calls.some((c) => c.command === "pair_clinic" || c.command === "preview_pairing")).toBe(false);

    scanned = "https://example.com/menu";
    await fireEvent.click(screen.getByRole("button", { name: "Scan the QR code from your counselor" }));
    await screen.findByText(/not a Steady pairing link/);
  });

  it("offers no camera on a desktop", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "sync_status") return notPaired;
      if (command === "list_disclosures") return { entries: [], more: false, fetched_at: null };
      if (command === "pending_pair_link") return null;
      if (command === "can_scan") return false;
      throw new Error(command);
    });
    restore = fake.restore;
    render(Settings);
    await screen.findByLabelText("Pairing code");
    expect(screen.queryByRole("button", { name: /Scan the QR code/ })).toBeNull();
  });
});
