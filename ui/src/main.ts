import { mount } from "svelte";
import Gate from "./gate/Gate.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

export default mount(Gate, { target });
