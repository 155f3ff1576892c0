// "Check it now": the server checks a service or address at once; the answer beside the crowd's.
import { fill } from "./format.js";

export function setUpCheck(ctx) {
  const form = document.getElementById("check-form");
  if (!form) return;
  const input = document.getElementById("check-target");
  const button = document.getElementById("check-button");
  const out = document.getElementById("check-result");
  const s = ctx.strings;
  button.disabled = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const target = input.value.trim();
    if (!target) return;
    button.disabled = true;
    show(out, [[s.check_running, ""]]);
    try {
      const response = await fetch("/api/v1/check", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ target }),
      });
      const body = await response.json();
      show(out, response.ok ? lines(ctx, body) : failure(s, response.status, body));
    } catch (err) {
      show(out, [[s.check_failed, "bad"]]);
    } finally {
      button.disabled = false;
    }
  });
}

function outcome(s, code, status) {
  const words = s[`check_outcome_${code}`] || code;
  return status ? `${words} (${status})` : words;
}

function lines(ctx, body) {
  const s = ctx.strings;
  const n = (x) => ctx.fmt.number(Math.round(x));
  const up = body.verdict === "up";
  if (body.verdict === "not_checked") {
    const out = [[s.check_offline, "muted"]];
    if (body.service) out.push(crowdLine(s, body.service));
    return out;
  }
  const out = [[up ? s.check_up : s.check_down, up ? "good" : "bad"]];
  const dns = body.dns || {};
  out.push([dns.outcome === "ok" ? fill(s.check_dns, { ms: n(dns.ms || 0) }) : `DNS: ${outcome(s, dns.outcome)}`, ""]);
  const web = body.https || {};
  if (web.outcome === "ok" || web.outcome === "http_4xx") {
    out.push([fill(s.check_web, { status: web.status, ms: n(web.ms || 0) }), ""]);
  } else if (web.outcome !== "not_tried") {
    out.push([`HTTPS: ${outcome(s, web.outcome, web.status)}`, ""]);
  }
  if (web.cert_days_left != null) out.push([fill(s.check_cert, { n: n(web.cert_days_left) }), ""]);
  if ((body.redirects || []).length) out.push([fill(s.check_redirects, { n: n(body.redirects.length) }), ""]);
  if (body.service) out.push(crowdLine(s, body.service));
  return out;
}

function crowdLine(s, service) {
  const level = service.crowd ? service.crowd.level : 0;
  return [fill(s.check_crowd, { status: s[`level_${level}`] }), `crowd level-${level}`];
}

function failure(s, status, body) {
  if (status === 429) return [[s.check_busy, "bad"]];
  if (status === 422) {
    const reason = body && body.error && body.error.details && body.error.details[0] ? body.error.details[0].reason : "";
    return [[reason === "not public" ? s.check_refused : s.check_failed, "bad"], [body.error.message, "muted"]];
  }
  return [[s.check_failed, "bad"]];
}

// Plain text only: nothing the server or the target sent is ever read as markup.
function show(out, rows) {
  out.replaceChildren(
    ...rows.map(([text, cls]) => {
      const p = document.createElement("p");
      p.textContent = text;
      if (cls) p.className = cls;
      return p;
    }),
  );
  out.hidden = false;
}
