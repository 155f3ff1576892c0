// The page's script: reads the data the server put in the page, localizes it, starts the page.
import { formatter, localize } from "./format.js";

const block = document.getElementById("rasd-data");
const data = block ? JSON.parse(block.textContent) : null;

if (data) {
  const fmt = formatter(data.lang);
  const ctx = { data, fmt, strings: data.strings, lang: data.lang, rtl: document.dir === "rtl", now: new Date(data.view.now) };
  localize(document, fmt, ctx.now);
  const page = data.view.page;
  const modules = { home: "./home.js", service: "./service.js", event: "./event.js", history: "./history.js" };
  if (modules[page]) {
    import(modules[page]).then((m) => m.start(ctx)).catch((err) => console.error(err));
  }
}
