// Builds the site's assets into src/rasd/web/static/vendor/ from installed npm packages.
// Works offline once `npm ci` has run: nothing here touches the network.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "rasd", "web", "static", "vendor");
const modules = join(here, "node_modules");

function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    if (statSync(source).isDirectory()) copyTree(source, target);
    else copyFileSync(source, target);
  }
}

// Coordinates to 0.01 degree (about a kilometre) keep the map a quarter of its size.
function rounded(coords) {
  if (typeof coords[0] === "number") return [Math.round(coords[0] * 100) / 100, Math.round(coords[1] * 100) / 100];
  return coords.map(rounded);
}

function worldGeoJson() {
  const topology = JSON.parse(readFileSync(join(modules, "world-atlas", "countries-110m.json"), "utf8"));
  const collection = feature(topology, topology.objects.countries);
  // features are named by their ISO 3166 numeric code: the pages match countries by it
  const features = collection.features
    .filter((f) => f.id !== undefined && f.geometry)
    .map((f) => ({
      type: "Feature",
      id: String(f.id),
      properties: { name: String(f.id), label: f.properties.name },
      geometry: { type: f.geometry.type, coordinates: rounded(f.geometry.coordinates) },
    }));
  return { type: "FeatureCollection", features };
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyFileSync(join(modules, "echarts", "dist", "echarts.esm.min.mjs"), join(out, "echarts.esm.min.mjs"));
copyFileSync(join(modules, "echarts", "LICENSE"), join(out, "echarts.LICENSE.txt"));
copyFileSync(join(modules, "world-atlas", "LICENSE"), join(out, "world-atlas.LICENSE.txt"));
writeFileSync(join(out, "world.geo.json"), JSON.stringify(worldGeoJson()));
copyTree(join(here, "src", "app"), join(out, "app"));
copyFileSync(join(here, "src", "site.css"), join(out, "site.css"));
writeFileSync(join(out, ".built-stamp"), new Date().toISOString() + "\n");
console.log(`built the site's assets into ${out}`);
