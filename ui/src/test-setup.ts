// jsdom has no layout, so no ResizeObserver: Svelte's bind:clientWidth
// needs one. This one never reports a size, as jsdom never has one; the
// charts then draw at their default width.
class NoLayoutResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoLayoutResizeObserver as unknown as typeof ResizeObserver;
