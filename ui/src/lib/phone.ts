// Phone numbers on the "I'm struggling" screen: a tel: link for each, and
// copying one when the device cannot place a call.

/** The digits (and a leading +) to dial, as Rust's `dial_string` keeps them. */
export function dialString(phone: string): string {
  return phone.replace(/[^0-9+]/g, "");
}

/** Copies `text` to the clipboard; resolves to whether it worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the older way, which works without a secure context.
  }
  const box = document.createElement("textarea");
  box.value = text;
  box.setAttribute("readonly", "");
  box.className = "visually-hidden";
  document.body.append(box);
  box.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  box.remove();
  return ok;
}
