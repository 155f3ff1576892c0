// ECharts, loaded only by pages with charts, set up for the page's language and direction.
let loading = null;

export function echarts() {
  if (!loading) loading = import("../echarts.esm.min.mjs");
  return loading;
}

const FONT = '"Noto Naskh Arabic", "Segoe UI", Tahoma, system-ui, sans-serif';

export const COLORS = {
  reports: "#b3261e",
  usual: "#1f5fa8",
  band: "rgba(31, 95, 168, 0.16)",
  grid: "#d9dde3",
  text: "#333a44",
  palette: ["#b3261e", "#1f5fa8", "#7a4cc2", "#0f7b5f", "#b35c00", "#5c6670", "#c2185b", "#00838f", "#6d4c41", "#455a64"],
};

export function base(ctx) {
  return {
    textStyle: { fontFamily: FONT, color: COLORS.text },
    animation: false,
    aria: { enabled: false },
  };
}

export function timeAxis(ctx, times) {
  const dates = times.map((t) => new Date(t));
  return {
    type: "category",
    data: times,
    inverse: ctx.rtl, // time runs right to left in Arabic
    boundaryGap: false,
    axisLabel: {
      color: COLORS.text,
      hideOverlap: true,
      formatter: (value) => ctx.fmt.time(new Date(value)),
    },
    axisLine: { lineStyle: { color: COLORS.grid } },
    axisTick: { show: false },
    _dates: dates,
  };
}

export function valueAxis(ctx) {
  return {
    type: "value",
    position: ctx.rtl ? "right" : "left",
    minInterval: 1,
    axisLabel: { color: COLORS.text, formatter: (v) => ctx.fmt.number(v) },
    splitLine: { lineStyle: { color: COLORS.grid } },
  };
}

export function tooltipLine(ctx, rows) {
  // plain text lines only: inline styles would break the page's content security policy
  return rows.map((r) => `${escapeHtml(r[0])}: ${escapeHtml(r[1])}`).join("<br>");
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function resizeWith(chart, el) {
  new ResizeObserver(() => chart.resize()).observe(el);
}
