// Sparklines of the last 24 hours that move with the server's clock and new counts.
const WIDTH = 190;
const HEIGHT = 32;

export function points(values) {
  const top = Math.max(1, ...values);
  const dx = WIDTH / Math.max(values.length - 1, 1);
  return values.map((v, i) => `${Math.round(i * dx)},${Math.round(HEIGHT - 1 - (v / top) * (HEIGHT - 2))}`).join(" ");
}

export class Window {
  // `since` and `step` in minutes since the epoch; `series` maps a key to its buckets
  constructor(sinceIso, step, size, series) {
    this.since = Math.floor(Date.parse(sinceIso) / 60000);
    this.step = step;
    this.size = size;
    this.series = new Map(Object.entries(series).map(([k, v]) => [k, v.slice()]));
  }

  // Slides the window so it ends with the bucket holding `nowMinute`; true if it moved.
  slide(nowMinute) {
    const end = this.since + this.size * this.step;
    if (nowMinute < end) return false;
    const shift = Math.floor((nowMinute - end) / this.step) + 1;
    this.since += shift * this.step;
    for (const [key, values] of this.series) {
      const kept = shift >= values.length ? [] : values.slice(shift);
      while (kept.length < this.size) kept.push(0);
      this.series.set(key, kept);
    }
    return true;
  }

  add(key, minute, n) {
    const i = Math.floor((minute - this.since) / this.step);
    if (i < 0 || i >= this.size) return false;
    if (!this.series.has(key)) this.series.set(key, new Array(this.size).fill(0));
    this.series.get(key)[i] += n;
    return true;
  }
}
