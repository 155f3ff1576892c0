// The world map of where reports come from: countries shaded, cities as dots; a country zooms in.
import { base, echarts, escapeHtml } from "./charts.js";

let world = null;

async function loadWorld(lib) {
  if (!world) {
    world = fetch("/static/vendor/world.geo.json").then((r) => r.json()).then((geo) => {
      lib.registerMap("world", geo);
      return geo;
    });
  }
  return world;
}

function bbox(geometry) {
  let [x0, y0, x1, y1] = [180, 90, -180, -90];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]);
      y0 = Math.min(y0, c[1]); y1 = Math.max(y1, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [x0, y0, x1, y1];
}

export class WorldMap {
  constructor(ctx, el, worldButton) {
    this.ctx = ctx;
    this.el = el;
    this.button = worldButton;
    this.focus = null; // ISO numeric code of the country zoomed into
  }

  async ready(regions) {
    if (!this.el) return;
    const lib = await echarts();
    this.geo = await loadWorld(lib);
    this.chart = lib.init(this.el, null, { renderer: "canvas" });
    new ResizeObserver(() => this.chart.resize()).observe(this.el);
    this.chart.on("click", (e) => {
      if (e.componentType === "series" && e.seriesType === "map") this.zoomTo(e.name);
    });
    if (this.button) this.button.addEventListener("click", () => this.zoomTo(null));
    this.update(regions);
  }

  update(regions) {
    this.regions = {
      countries: regions.countries.map((c) => ({ ...c })),
      cities: regions.cities.map((c) => ({ ...c })),
    };
    this.draw();
  }

  add(byRegion) {
    if (!this.regions) return;
    let changed = false;
    for (const [region, n] of Object.entries(byRegion)) {
      const list = region.includes("/") ? this.regions.cities : this.regions.countries;
      const key = region.includes("/") ? "region" : "code";
      const found = list.find((r) => r[key] === region);
      if (found) {
        found.reports += n;
        changed = true;
      }
    }
    if (changed) this.draw();
  }

  zoomTo(numeric) {
    this.focus = numeric;
    if (this.button) this.button.hidden = numeric === null;
    this.draw();
  }

  view() {
    if (!this.focus) return { center: [10, 25], zoom: 1.1 };
    const feature = this.geo.features.find((f) => f.properties.name === this.focus);
    if (!feature) return { center: [10, 25], zoom: 1.1 };
    const [x0, y0, x1, y1] = bbox(feature.geometry);
    const span = Math.max(x1 - x0, (y1 - y0) * 1.6, 2);
    return { center: [(x0 + x1) / 2, (y0 + y1) / 2], zoom: Math.min(Math.max(300 / span, 1), 40) };
  }

  draw() {
    if (!this.chart || !this.regions) return;
    const { ctx } = this;
    const names = new Map(this.regions.countries.map((c) => [c.numeric, c]));
    const codes = new Map(this.regions.countries.map((c) => [c.code, c.numeric]));
    const top = Math.max(1, ...this.regions.countries.map((c) => c.reports));
    const cities = this.regions.cities.filter((c) => !this.focus || codes.get(c.country) === this.focus);
    const topCity = Math.max(1, ...cities.map((c) => c.reports));
    const { center, zoom } = this.view();
    this.chart.setOption({
      ...base(ctx),
      tooltip: {
        trigger: "item",
        formatter: (p) => {
          if (p.seriesType === "scatter") return `${escapeHtml(p.data.label)}: ${escapeHtml(ctx.fmt.number(p.data.value[2]))}`;
          const c = names.get(p.name);
          return c ? `${escapeHtml(c.name)}: ${escapeHtml(ctx.fmt.number(c.reports))}` : "";
        },
      },
      visualMap: { show: false, min: 0, max: top, inRange: { color: ["#fde8e4", "#b3261e"] }, seriesIndex: 0 },
      geo: {
        map: "world",
        roam: true,
        center,
        zoom,
        scaleLimit: { min: 1, max: 60 },
        itemStyle: { areaColor: "#eef1f5", borderColor: "#a9b2bd", borderWidth: 0.5 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#f6c8bf" } },
        select: { disabled: true },
        label: { show: false },
      },
      series: [
        {
          type: "map",
          geoIndex: 0,
          data: this.regions.countries.filter((c) => c.numeric).map((c) => ({ name: c.numeric, value: c.reports })),
        },
        {
          type: "scatter",
          coordinateSystem: "geo",
          data: cities.slice(0, 200).map((c) => ({ value: [c.lon, c.lat, c.reports], label: c.name })),
          symbolSize: (v) => 4 + 14 * Math.sqrt(v[2] / topCity),
          itemStyle: { color: "#1f5fa8", opacity: 0.8, borderColor: "#fff", borderWidth: 0.5 },
          label: { show: false },
          emphasis: { scale: 1.3 },
        },
      ],
    }, { notMerge: true });
  }
}
