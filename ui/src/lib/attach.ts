// Svelte attachments ({@attach …}) the screens share.

/** Brings a note that just appeared (where a file was saved) to the middle
 *  of the screen, out from under the floating "I'm struggling" button. */
export function inView(el: HTMLElement) {
  el.scrollIntoView({ block: "center" });
}
