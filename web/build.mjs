// Builds the site's assets into src/rasd/web/static/vendor/ from installed npm packages.
// Works offline once `npm ci` has run: nothing here touches the network.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
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

// Each asset is also written under a name that carries a hash of its content, with .gz and .br
// beside it: the server sends those as immutable (cached a year) and picks the encoding the
// browser accepts. A module's hash covers the hashed names of what it imports, so a change
// anywhere renames every page of the chain and no browser keeps a stale mix.
const VERSIONED = ["site.css", "echarts.esm.min.mjs", "world.geo.json", ...readdirSync(join(out, "app")).map((n) => `app/${n}`)];
const REFERENCE = /(["'])((?:\.\.?\/)[\w.\/-]+|\/static\/vendor\/[\w.\/-]+)\1/g;
const manifest = {};

function target(from, spec) {
  if (spec.startsWith("/static/vendor/")) return spec.slice("/static/vendor/".length);
  return posix.normalize(posix.join(posix.dirname(from), spec));
}

function hashed(name, seen = new Set()) {
  if (manifest[name]) return manifest[name];
  if (seen.has(name)) throw new Error(`assets import each other in a cycle: ${[...seen, name].join(" -> ")}`);
  seen.add(name);
  let content = readFileSync(join(out, name));
  if (/\.(m?js)$/.test(name)) {
    const text = content.toString("utf8").replace(REFERENCE, (whole, quote, spec) => {
      const dep = target(name, spec);
      if (!VERSIONED.includes(dep)) return whole;
      const renamed = hashed(dep, seen);
      const url = spec.startsWith("/") ? `/static/vendor/${renamed}` : `${spec.slice(0, spec.lastIndexOf("/") + 1)}${posix.basename(renamed)}`;
      return quote + url + quote;
    });
    content = Buffer.from(text, "utf8");
  }
  const digest = createHash("sha256").update(content).digest("hex").slice(0, 12);
  const ext = extname(name);
  const renamed = `${name.slice(0, -ext.length)}.${digest}${ext}`;
  writeFileSync(join(out, renamed), content);
  writeFileSync(join(out, renamed + ".gz"), gzipSync(content, { level: 9 }));
  writeFileSync(
    join(out, renamed + ".br"),
    brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
  );
  manifest[name] = renamed;
  return renamed;
}

for (const name of VERSIONED) hashed(name);
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
writeFileSync(join(out, ".built-stamp"), new Date().toISOString() + "\n");
console.log(`built the site's assets into ${out}`);
