import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchIdle } from "./idle";

describe("idle logout", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function hooks(lastRequest = () => Date.now()) {
    return {
      warn: vi.fn(),
      active: vi.fn(),
      idle: vi.fn(),
      keepAlive: vi.fn(),
      lastRequestAt: lastRequest,
    };
  }

  it("warns a minute ahead, then signs out", () => {
    const h = hooks();
    const target = new EventTarget();
    watchIdle(30 * 60_000, h, target);
    vi.advanceTimersByTime(29 * 60_000 - 1);
    expect(h.warn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(h.warn).toHaveBeenCalledWith(60);
    vi.advanceTimersByTime(60_000);
    expect(h.idle).toHaveBeenCalledOnce();
  });

  it("starts over on input, and keeps the server's session open", () => {
    const h = hooks(() => 0);
    const target = new EventTarget();
    watchIdle(9_000, h, target);
    vi.advanceTimersByTime(7_000);
    expect(h.warn).toHaveBeenCalledWith(3);
    target.dispatchEvent(new Event("keydown"));
    expect(h.active).toHaveBeenCalledOnce();
    expect(h.keepAlive).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(8_000);
    expect(h.idle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(h.idle).toHaveBeenCalledOnce();
  });

  it("stops watching when asked", () => {
    const h = hooks();
    const target = new EventTarget();
    const stop = watchIdle(3_000, h, target);
    stop();
    vi.advanceTimersByTime(10_000);
    expect(h.idle).not.toHaveBeenCalled();
  });
});
