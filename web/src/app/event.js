// An event's page: one chart of every service hit, primary outages solid, spill-over dashed.
import { COLORS, base, echarts, escapeHtml, resizeWith, timeAxis, valueAxis } from "./charts.js";
import { localize } from "./format.js";
import { connect, refresh, throttle } from "./live.js";

export async function start(ctx) {
  let view = ctx.data.view;
  const el = document.getElementById("event-chart");
  const lib = await echarts();
  const chart = lib.init(el, null, { renderer: "canvas" });
  resizeWith(chart, el);
  const draw = () => {
    const { times, series, step } = view.chart;
    // a bucket not yet wholly counted is left out rather than shown falling
    const complete = view.chart.complete_until ? Date.parse(view.chart.complete_until) : Infinity;
    const counted = times.map((t) => Date.parse(t) + step * 60000 <= complete);
    chart.setOption({
      ...base(ctx),
      color: COLORS.palette,
      legend: { type: "scroll", top: 0, right: ctx.rtl ? 0 : "auto", left: ctx.rtl ? "auto" : 0, textStyle: { color: COLORS.text } },
      grid: { top: 40, bottom: 24, left: 8, right: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const when = ctx.fmt.dateTime(new Date(times[items[0].dataIndex]));
          const rows = items.filter((it) => it.value > 0).sort((a, b) => b.value - a.value).slice(0, 8);
          return escapeHtml(when) + rows.map((it) => `<br>${escapeHtml(it.seriesName)}: ${escapeHtml(ctx.fmt.number(it.value))}`).join("");
        },
      },
      xAxis: timeAxis(ctx, times),
      yAxis: valueAxis(ctx),
      series: series.map((s) => ({
        name: s.name,
        type: "line",
        data: s.values.map((v, i) => (counted[i] ? v : null)),
        symbol: "none",
        lineStyle: { width: s.role === "primary" ? 2.5 : 1.5, type: s.role === "primary" ? "solid" : "dashed" },
      })),
    }, { notMerge: true });
  };
  draw();
  const id = view.event.id;
  const reload = throttle(async () => {
    const response = await fetch(`/api/v1/view/events/${encodeURIComponent(id)}?lang=${ctx.lang}`, { cache: "no-cache" });
    if (response.ok) {
      view = await response.json();
      draw();
    }
  }, 4000);
  const swap = throttle(() => refresh(() => localize(document, ctx.fmt, ctx.now)), 2000);
  const ids = new Set(view.chart.series.map((s) => s.id));
  connect({
    generation: ctx.data.generation,
    strings: ctx.strings,
    onUpdate: (msg) => {
      ctx.now = new Date(msg.now);
      if (view.event.end) return;
      if (Object.keys(msg.counts || {}).some((s) => ids.has(s))) reload();
      if ((msg.events || []).some((e) => e.id === id)) {
        swap();
        reload();
      }
    },
    onResync: () => {
      swap();
      reload();
    },
  });
}
