// The live stream: server-sent events, with a visible state and a way to catch up.
export function connect({ services = [], strings, generation = null, onUpdate, onDetail, onResync }) {
  const state = document.getElementById("live-state");
  const text = state ? state.querySelector(".live-text") : null;
  const show = (ok) => {
    if (!state) return;
    state.hidden = false;
    state.classList.toggle("off", !ok);
    if (text) text.textContent = ok ? strings.live_on : strings.live_off;
  };
  const params = new URLSearchParams();
  for (const s of services) params.append("service", s);
  const url = "/api/v1/live" + (services.length ? "?" + params : "");
  const source = new EventSource(url);
  let broken = false;
  let first = true;
  source.addEventListener("hello", (e) => {
    show(true);
    const hello = JSON.parse(e.data);
    // a change between drawing the page and connecting, or a drop the ring may not cover
    const missed = first ? generation !== null && hello.generation !== generation : broken;
    if (missed && onResync) onResync();
    first = false;
    broken = false;
  });
  source.addEventListener("update", (e) => onUpdate && onUpdate(JSON.parse(e.data)));
  source.addEventListener("detail", (e) => onDetail && onDetail(JSON.parse(e.data)));
  source.addEventListener("resync", () => onResync && onResync());
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.OPEN) {
      broken = true;
      show(false);
    }
  });
  return source;
}

// Fetches this page again and swaps the parts marked data-swap: the server's templates stay
// the one place a page is drawn.
export async function refresh(after) {
  const response = await fetch(location.href, { cache: "no-cache", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const fresh of doc.querySelectorAll("[data-swap][id]")) {
    const current = document.getElementById(fresh.id);
    if (!current) continue;
    if (current.contains(document.activeElement) && document.activeElement !== document.body) {
      continue; // never pull the focus from under a keyboard user
    }
    current.replaceWith(document.importNode(fresh, true));
  }
  const data = doc.getElementById("rasd-data");
  if (after) after(data ? JSON.parse(data.textContent) : null);
}

// At most one call per `wait` ms, the last one always made.
export function throttle(fn, wait) {
  let timer = null;
  let last = 0;
  return (...args) => {
    const run = () => {
      last = Date.now();
      timer = null;
      fn(...args);
    };
    const left = wait - (Date.now() - last);
    if (left <= 0 && !timer) run();
    else if (!timer) timer = setTimeout(run, Math.max(left, 0));
  };
}
