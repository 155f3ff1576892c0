// A service's page: the day chart against the usual band, the map, the report button, live updates.
import { setUpCheck } from "./checknow.js";
import { COLORS, base, echarts, escapeHtml, resizeWith, timeAxis, tooltipLine, valueAxis } from "./charts.js";
import { localize } from "./format.js";
import { connect, refresh, throttle } from "./live.js";
import { WorldMap } from "./map.js";

export async function start(ctx) {
  let view = ctx.data.view;
  const service = view.service.id;
  setUpReport(ctx, service);
  setUpComments(ctx, service);
  setUpCheck(ctx);
  const chart = new DayChart(ctx, document.getElementById("chart"));
  const map = new WorldMap(ctx, document.getElementById("map"), document.getElementById("map-world"));

  const reload = throttle(async () => {
    const response = await fetch(`/api/v1/view/services/${encodeURIComponent(service)}?lang=${ctx.lang}`, { cache: "no-cache" });
    if (!response.ok) return;
    view = await response.json();
    chart.reset(view.chart);
    map.update(view.regions);
    setTotal(ctx, view.total_24h);
  }, 5000);
  const swap = throttle(() => refresh((fresh) => {
    localize(document, ctx.fmt, ctx.now);
    if (fresh && fresh.view) {
      view = fresh.view;
      map.update(view.regions);
    }
  }), 2000);

  // the stream starts before the charts load, so nothing said meanwhile is missed
  connect({
    services: [service],
    strings: ctx.strings,
    generation: ctx.data.generation,
    onUpdate: (msg) => {
      ctx.now = new Date(msg.now);
      const byMinute = (msg.counts || {})[service];
      const slid = chart.slide(ctx.now);
      const counted = chart.countedUntil(msg.counted_until);
      if (byMinute) chart.add(byMinute);
      if (byMinute || slid || counted) {
        chart.draw();
        setTotal(ctx, chart.total());
      }
      if (slid) reload();
      const mine = (list) => (list || []).some((x) => x.service === service || (x.primary || []).includes(service) || (x.spillover || []).includes(service));
      if (mine(msg.incidents) || mine(msg.events)) swap();
    },
    onDetail: (msg) => {
      map.add(msg.regions || {});
      if (Object.keys(msg.problems || {}).length) swap();
    },
    onResync: () => {
      reload();
      swap();
    },
  });
  chart.reset(view.chart);
  await Promise.all([chart.ready(), map.ready(view.regions)]);
}

function setTotal(ctx, total) {
  const el = document.getElementById("total-24h");
  if (el) el.textContent = ctx.fmt.number(total);
}

class DayChart {
  constructor(ctx, el) {
    this.ctx = ctx;
    this.el = el;
  }

  async ready() {
    const lib = await echarts();
    this.chart = lib.init(this.el, null, { renderer: "canvas" });
    resizeWith(this.chart, this.el);
    this.draw();
  }

  reset(data) {
    this.step = data.step;
    this.since = Math.floor(Date.parse(data.times[0]) / 60000);
    this.values = data.values.slice();
    this.baseline = data.baseline ? data.baseline.slice() : null;
    this.complete = data.complete_until ? Math.floor(Date.parse(data.complete_until) / 60000) : Infinity;
    this.draw();
  }

  // Moves the mark from which counts may still grow; true if it moved.
  countedUntil(iso) {
    if (!iso) return false;
    const minute = Math.floor(Date.parse(iso) / 60000);
    if (!(minute > this.complete)) return false;
    this.complete = minute;
    return true;
  }

  // What is drawn: a bucket not yet wholly counted is left out rather than shown falling.
  shown() {
    return this.values.map((v, i) => (this.since + (i + 1) * this.step <= this.complete ? v : null));
  }

  total() {
    return this.values.reduce((a, b) => a + b, 0);
  }

  slide(now) {
    if (!this.values) return false;
    const minute = Math.floor(now.getTime() / 60000);
    const end = this.since + this.values.length * this.step;
    if (minute < end) return false;
    const shift = Math.floor((minute - end) / this.step) + 1;
    for (let i = 0; i < shift; i++) {
      this.values.shift();
      this.values.push(0);
      if (this.baseline) {
        this.baseline.shift();
        this.baseline.push(null); // unknown until the next reload
      }
    }
    this.since += shift * this.step;
    return true;
  }

  add(byMinute) {
    for (const [minute, n] of Object.entries(byMinute)) {
      const i = Math.floor((Number(minute) - this.since) / this.step);
      if (i >= 0 && i < this.values.length) this.values[i] += n;
    }
  }

  draw() {
    if (!this.chart) return;
    const { ctx } = this;
    const times = this.values.map((_, i) => new Date((this.since + i * this.step) * 60000).toISOString());
    // the usual range: counts of reports vary like a Poisson count around the usual level
    const low = (this.baseline || []).map((b) => (b == null ? null : Math.max(0, b - 2 * Math.sqrt(b))));
    const width = (this.baseline || []).map((b, i) => (b == null ? null : b + 2 * Math.sqrt(b) - low[i]));
    const s = ctx.strings;
    this.chart.setOption({
      ...base(ctx),
      grid: { top: 16, bottom: 24, left: 8, right: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const i = items[0].dataIndex;
          const counted = this.since + (i + 1) * this.step <= this.complete;
          const reports = ctx.fmt.number(this.values[i]) + (counted ? "" : ` (${s.series_counting})`);
          const rows = [[ctx.fmt.time(new Date(times[i])), ""], [s.series_reports, reports]];
          if (this.baseline && this.baseline[i] != null) rows.push([s.series_usual, ctx.fmt.number(Math.round(this.baseline[i]))]);
          return `${escapeHtml(rows[0][0])}<br>` + tooltipLine(ctx, rows.slice(1));
        },
      },
      xAxis: timeAxis(ctx, times),
      yAxis: valueAxis(ctx),
      series: [
        { name: "low", type: "line", data: low, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, silent: true },
        { name: s.series_usual, type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: COLORS.band }, silent: true },
        { name: s.series_reports, type: "line", data: this.shown(), symbol: "none", lineStyle: { color: COLORS.reports, width: 2 }, areaStyle: { color: "rgba(179, 38, 30, 0.12)" } },
      ],
    }, { notMerge: true });
  }
}

function reporterKey() {
  const name = "rasd-reporter";
  let key = null;
  try {
    key = localStorage.getItem(name);
  } catch (e) {
    key = null;
  }
  if (!key) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      localStorage.setItem(name, key);
    } catch (e) {
      // private windows may refuse storage: the key then lasts as long as the page
    }
  }
  return key;
}

function browserRegion() {
  for (const tag of navigator.languages || [navigator.language]) {
    const region = new Intl.Locale(tag).maximize().region;
    if (region && /^[A-Z]{2}$/.test(region)) return region;
  }
  return "";
}

function setUpReport(ctx, service) {
  const open = document.getElementById("report-open");
  const form = document.getElementById("report-form");
  const cancel = document.getElementById("report-cancel");
  const thanks = document.getElementById("report-thanks");
  const error = document.getElementById("report-error");
  const country = document.getElementById("report-country");
  if (!open || !form) return;
  if (country && !country.value) {
    const region = browserRegion();
    if (region && country.querySelector(`option[value="${region}"]`)) country.value = region;
  }
  open.disabled = false;
  const close = () => {
    form.hidden = true;
    open.setAttribute("aria-expanded", "false");
  };
  open.addEventListener("click", () => {
    const opening = form.hidden;
    form.hidden = !opening;
    thanks.hidden = true;
    open.setAttribute("aria-expanded", String(opening));
    if (opening) form.querySelector("input[name=problem]").focus();
  });
  cancel.addEventListener("click", () => {
    close();
    open.focus();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const problem = form.querySelector("input[name=problem]:checked");
    if (!problem) return fail(ctx.strings.report_choose);
    if (!country.value) {
      country.focus();
      return fail(ctx.strings.report_need_country);
    }
    const body = { service, problem: problem.value, reporter: reporterKey(), country: country.value };
    try {
      const response = await fetch("/api/v1/reports", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (response.status !== 202) return fail(ctx.strings.report_failed);
    } catch (err) {
      return fail(ctx.strings.report_failed);
    }
    close();
    thanks.hidden = false;
    thanks.focus();
  });
  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }
}


// Comments are drawn as text nodes only: whatever people type stays text.
function setUpComments(ctx, service) {
  const form = document.getElementById("comment-form");
  if (!form) return;
  const text = document.getElementById("comment-text");
  const problem = document.getElementById("comment-problem");
  const state = document.getElementById("comment-state");
  form.hidden = false;
  const say = (message) => {
    state.textContent = message;
    state.hidden = false;
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    state.hidden = true;
    const country = document.getElementById("report-country");
    const body = { text: text.value, lang: ctx.lang };
    if (problem.value) body.problem = problem.value;
    const where = (country && country.value) || browserRegion();
    if (where) body.country = where;
    let answer;
    try {
      const response = await fetch(`/api/v1/services/${encodeURIComponent(service)}/comments`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (response.status === 429) return say(ctx.strings.comment_too_many);
      if (response.status !== 201) return say(ctx.strings.comment_failed);
      answer = await response.json();
    } catch (err) {
      return say(ctx.strings.comment_failed);
    }
    text.value = "";
    say(answer.held ? ctx.strings.comment_held : ctx.strings.comment_shown);
    await showComments(ctx, service);
  });
}

async function showComments(ctx, service) {
  const holder = document.getElementById("comment-list");
  if (!holder) return;
  const response = await fetch(`/api/v1/services/${encodeURIComponent(service)}/comments?limit=20`, { cache: "no-cache" });
  if (!response.ok) return;
  const { comments } = await response.json();
  holder.replaceChildren();
  if (!comments.length) {
    const none = document.createElement("p");
    none.className = "muted";
    none.textContent = ctx.strings.comments_none;
    holder.append(none);
    return;
  }
  const list = document.createElement("ol");
  list.className = "comment-list";
  for (const c of comments) {
    const item = document.createElement("li");
    item.className = "comment";
    item.dataset.comment = c.id;
    const said = document.createElement("p");
    said.className = "comment-text";
    said.dir = "auto";
    said.textContent = c.text;
    const facts = document.createElement("p");
    facts.className = "muted small";
    const when = document.createElement("time");
    when.setAttribute("datetime", c.created_at);
    when.dataset.time = "datetime";
    when.textContent = c.created_at;
    facts.append(when);
    const place = c.country_name && c.country_name[ctx.lang];
    const kind = c.problem_name && c.problem_name[ctx.lang];
    for (const [name, value] of [["comment-place", place], ["comment-problem", kind]]) {
      if (!value) continue;
      const span = document.createElement("span");
      span.className = name;
      span.textContent = value;
      facts.append(" · ", span);
    }
    item.append(said, facts);
    list.append(item);
  }
  holder.append(list);
  localize(holder, ctx.fmt, ctx.now);
}
