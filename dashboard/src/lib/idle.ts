// Idle logout. The page signs itself out after the server's idle time
// without a key press or pointer use, warning first so the counselor can
// stay (WCAG 2.2.1). Input also keeps the server's session open: the server
// only counts requests, so a counselor reading without clicking is kept
// signed in by a light request once half the idle time has passed.

export interface IdleHooks {
  warn: (secondsLeft: number) => void;
  active: () => void;
  idle: () => void;
  keepAlive: () => void;
  lastRequestAt: () => number;
}

const INPUT = ["keydown", "pointerdown", "wheel", "touchstart"] as const;

export function watchIdle(idleMs: number, hooks: IdleHooks, target: EventTarget = window) {
  const warnBefore = Math.min(60_000, Math.floor(idleMs / 3));
  let warnTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let warned = false;

  const arm = () => {
    clearTimeout(warnTimer);
    clearTimeout(idleTimer);
    warnTimer = setTimeout(() => {
      warned = true;
      hooks.warn(Math.round(warnBefore / 1000));
    }, idleMs - warnBefore);
    idleTimer = setTimeout(hooks.idle, idleMs);
  };
  const input = () => {
    if (warned) {
      warned = false;
      hooks.active();
    }
    if (Date.now() - hooks.lastRequestAt() > idleMs / 2) hooks.keepAlive();
    arm();
  };
  for (const name of INPUT) target.addEventListener(name, input, { passive: true });
  arm();
  return () => {
    clearTimeout(warnTimer);
    clearTimeout(idleTimer);
    for (const name of INPUT) target.removeEventListener(name, input);
  };
}
