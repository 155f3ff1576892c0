// Home: live sparklines, the search that finds a service by any of its names, live swaps.
import { setUpCheck } from "./checknow.js";
import { fill, localize } from "./format.js";
import { connect, refresh, throttle } from "./live.js";
import { points, Window } from "./sparks.js";

export function start(ctx) {
  const { fmt, strings, lang } = ctx;
  setUpCheck(ctx);
  let view = ctx.data.view;
  let window_ = new Window(view.spark.since, view.spark.step, view.spark.size, view.sparks);

  const draw = (ids) => {
    for (const id of ids) {
      const card = document.querySelector(`.card[data-service="${CSS.escape(id)}"]`);
      const values = window_.series.get(id);
      if (!card || !values) continue;
      const total = values.reduce((a, b) => a + b, 0);
      card.querySelector("polyline").setAttribute("points", points(values));
      card.querySelector("svg").setAttribute("aria-label", fill(strings.spark_label, { n: fmt.number(total) }));
      const count = card.querySelector(".card-total [data-num]");
      if (count) {
        count.dataset.num = String(total);
        count.textContent = fmt.number(total);
      }
    }
  };

  const swap = throttle(() => refresh((fresh) => {
    if (fresh && fresh.view) {
      view = fresh.view;
      window_ = new Window(view.spark.since, view.spark.step, view.spark.size, view.sparks);
    }
    localize(document, fmt, ctx.now);
  }), 2000);

  connect({
    generation: ctx.data.generation,
    strings,
    onUpdate: (msg) => {
      ctx.now = new Date(msg.now);
      const moved = window_.slide(Math.floor(ctx.now.getTime() / 60000));
      const touched = new Set(moved ? window_.series.keys() : []);
      for (const [id, byMinute] of Object.entries(msg.counts || {})) {
        for (const [minute, n] of Object.entries(byMinute)) {
          if (window_.add(id, Number(minute), n)) touched.add(id);
        }
      }
      draw(touched);
      if ((msg.incidents && msg.incidents.length) || (msg.events && msg.events.length)) swap();
    },
    onResync: swap,
  });

  setUpSearch(lang, strings);
}

function setUpSearch(lang, strings) {
  const input = document.getElementById("q");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  if (!input || !list) return;
  let asked = 0;
  const search = throttle(async () => {
    const q = input.value.trim();
    const ticket = ++asked;
    if (!q) {
      list.hidden = true;
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    const response = await fetch(`/api/v1/services?lang=${lang}&q=${encodeURIComponent(q)}`);
    if (!response.ok || ticket !== asked) return;
    const { services } = await response.json();
    const items = services.slice(0, 8).map((s) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/services/${encodeURIComponent(s.id)}`;
      a.textContent = s.name;
      li.append(a);
      if (s.level > 0) {
        const badge = document.createElement("span");
        badge.className = `badge level-${s.level}`;
        badge.textContent = strings[`level_${s.level}`];
        li.append(" ", badge);
      }
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = strings.search_none;
      items.push(li);
    }
    list.replaceChildren(...items);
    list.hidden = false;
    status.textContent = services.length ? `${strings.search_results}: ${services.length}` : strings.search_none;
  }, 250);
  input.addEventListener("input", search);
  if (input.value.trim()) search(); // typed before the script was ready
}
