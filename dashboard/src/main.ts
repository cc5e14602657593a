import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

// Anything the page does that its Content-Security-Policy blocks is kept
// here (and in the console), so the browser tests can assert there is none.
declare global {
  interface Window {
    steadyCspViolations?: string[];
  }
}
document.addEventListener("securitypolicyviolation", (e) => {
  (window.steadyCspViolations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
  console.error(`Content-Security-Policy blocked ${e.violatedDirective}: ${e.blockedURI}`);
});

const target = document.getElementById("app");
if (target) mount(App, { target });
