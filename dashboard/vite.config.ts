import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    // The charts live beside the app's UI: one Svelte runtime, this one's.
    dedupe: ["svelte"],
    alias: {
      // The words for record values: one source, the app's, for both UIs.
      "@steady/labels": decodeURIComponent(new URL("../ui/src/lib/labels.ts", import.meta.url).pathname),
      // A template's fill-ins ("{substance}"), read the way the app reads them.
      "@steady/fill": decodeURIComponent(new URL("../ui/src/lib/fill.ts", import.meta.url).pathname),
      // The insight charts the app shows the patient, shown the same way here.
      "@steady/charts": decodeURIComponent(new URL("../ui/src/components/charts", import.meta.url).pathname),
    },
  },
  clearScreen: false,
  build: {
    target: "es2021",
    // The server's CSP allows only this origin's files: no inline scripts,
    // styles or data: fonts; keep every asset a real, content-hashed file.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
