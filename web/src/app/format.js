// Numbers and times as the visitor's language writes them, in the visitor's time zone.
// Arabic digits (٠١٢) as the server writes them, whatever numbering the browser's ICU prefers
export function locale(lang) {
  return lang === "ar" ? "ar-u-nu-arab" : lang;
}

export function formatter(lang_) {
  const lang = locale(lang_);
  const numbers = new Intl.NumberFormat(lang);
  const cache = new Map();
  const numberWith = (decimals) => {
    if (!cache.has(decimals)) {
      cache.set(decimals, new Intl.NumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
    }
    return cache.get(decimals);
  };
  const time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
  const dateTime = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const utc = new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  return {
    number: (n, decimals = 0) => (decimals ? numberWith(decimals) : numbers).format(n),
    time: (d) => time.format(d),
    dateTime: (d) => dateTime.format(d),
    utc: (d) => utc.format(d).replace(",", "") + " UTC",
    percent: (share) => new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(share),
  };
}

// Rewrites server-rendered times and numbers for this visitor; idempotent, so swapped-in
// fragments go through it again.
export function localize(root, fmt, now) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    const sameDay = now && Math.abs(now - when) < 20 * 3600 * 1000;
    el.textContent = el.dataset.time === "time" || sameDay ? fmt.time(when) : fmt.dateTime(when);
    el.title = fmt.utc(when);
  }
  for (const el of root.querySelectorAll("[data-num]")) {
    const value = Number(el.dataset.num);
    if (!Number.isNaN(value)) el.textContent = fmt.number(value, Number(el.dataset.decimals || 0));
  }
}

export function fill(template, fields) {
  return template.replace(/\{(\w+)\}/g, (all, key) => (key in fields ? String(fields[key]) : all));
}
