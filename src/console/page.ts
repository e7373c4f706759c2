/**
 * The console's one page: HTML, CSS and a small script, as one string, so it ships inside the
 * package and works offline (no CDN, no build step). The script polls the console's JSON routes
 * (`/console/api/*`) and draws with plain DOM and SVG. It holds no data itself: everything it shows
 * comes from routes behind the admin guard, with the token the operator types kept in
 * sessionStorage (gone when the tab closes).
 * @module
 */

const STYLE = `
:root { --bg:#0f1216; --panel:#171b21; --line:#2a3039; --text:#e6e9ee; --dim:#8b95a3;
  --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:12px 16px; border-bottom:1px solid var(--line); }
header h1 { font-size:16px; margin:0; }
header .facts { color:var(--dim); font-size:13px; }
nav { display:flex; gap:4px; margin-left:auto; }
nav button { background:none; border:1px solid var(--line); color:var(--dim); padding:6px 12px; border-radius:6px; cursor:pointer; font:inherit; }
nav button[aria-selected="true"] { color:var(--text); border-color:var(--accent); }
main { padding:16px; }
section[hidden] { display:none; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(300px,1fr)); gap:12px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px; min-width:0; }
.card h2 { font-size:15px; margin:0 0 4px; display:flex; align-items:center; gap:8px; overflow-wrap:anywhere; }
.dot { width:10px; height:10px; border-radius:50%; flex:none; }
.dot.ok { background:var(--ok); } .dot.warn { background:var(--warn); } .dot.bad { background:var(--bad); }
.url, .models { color:var(--dim); font-size:12px; overflow-wrap:anywhere; }
.row { display:flex; justify-content:space-between; gap:8px; margin-top:6px; font-size:13px; }
.row span:first-child { color:var(--dim); }
.bar { height:6px; background:var(--line); border-radius:3px; overflow:hidden; margin-top:4px; }
.bar > div { height:100%; background:var(--accent); }
.error { color:var(--bad); font-size:12px; margin-top:6px; overflow-wrap:anywhere; }
.card button { margin-top:8px; background:none; border:1px solid var(--line); color:var(--text); border-radius:6px; padding:4px 10px; cursor:pointer; font:inherit; }
svg.chart { width:100%; height:40px; display:block; margin-top:6px; }
svg.chart path.series { fill:none; stroke:var(--accent); stroke-width:1.5; }
svg.chart path.area { fill:rgba(88,166,255,.12); stroke:none; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--dim); font-weight:500; }
td.picks { overflow-wrap:anywhere; }
.pick { margin:2px 0; } .pick .why { color:var(--dim); } .pick .failed { color:var(--bad); }
.status-2 { color:var(--ok); } .status-4 { color:var(--warn); } .status-5 { color:var(--bad); }
.empty { color:var(--dim); padding:24px 0; }
form.token { max-width:420px; margin:48px auto; background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:16px; }
form.token input { width:100%; padding:8px; margin:8px 0; background:var(--bg); color:var(--text); border:1px solid var(--line); border-radius:6px; font:inherit; }
form.token button { padding:6px 14px; }
#notice { color:var(--warn); padding:0 16px; }
.controls { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-bottom:12px; }
.controls select, .controls input { background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:6px; padding:6px 8px; font:inherit; }
.controls button, .keys button { background:none; border:1px solid var(--line); color:var(--text); border-radius:6px; padding:6px 12px; cursor:pointer; font:inherit; }
svg.chart.big { height:180px; border-bottom:1px solid var(--line); }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; font-size:12px; color:var(--dim); margin:6px 0 14px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.secret { background:#1f2a1f; border:1px solid var(--ok); border-radius:8px; padding:10px; margin:10px 0; overflow-wrap:anywhere; }
.secret code { font-size:13px; }
.panel-title { font-size:14px; color:var(--dim); margin:18px 0 8px; font-weight:500; }
.spend { font-size:12px; color:var(--dim); }
.meter { height:5px; background:var(--line); border-radius:3px; overflow:hidden; margin-top:2px; max-width:180px; }
.meter > div { height:100%; background:var(--ok); }
.meter.high > div { background:var(--bad); }
@media (max-width: 640px) {
  header { padding:10px; } main { padding:10px; } nav { margin-left:0; width:100%; }
  nav button { flex:1; }
  .grid { grid-template-columns:1fr; }
  table thead { display:none; }
  table, tbody, tr, td { display:block; width:100%; }
  tr { border-bottom:1px solid var(--line); padding:6px 0; }
  td { border:none; padding:2px 0; }
}
`;

const SCRIPT = `
"use strict";
const POLL_MS = 1000;
const HISTORY = 60;
const state = { view: "fleet", lastSeq: 0, decisions: [], history: new Map(), previous: new Map() };
const $ = (selector) => document.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
};
const token = () => sessionStorage.getItem("switchyard-admin-token") || "";

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (token()) headers.authorization = "Bearer " + token();
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 || response.status === 403) {
    const body = await response.json().catch(() => ({}));
    showTokenForm((body.error && body.error.message) || "This console needs the gateway's admin token.");
    throw new Error("unauthorized");
  }
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

function showTokenForm(message) {
  if ($("form.token")) return;
  for (const section of document.querySelectorAll("main section")) section.hidden = true;
  const input = el("input", { type: "password", name: "token", autocomplete: "off", "aria-label": "Admin token" });
  const form = el("form", { class: "token" }, el("div", {}, message), input, el("button", { type: "submit" }, "Open the console"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("switchyard-admin-token", input.value.trim());
    form.remove();
    show(state.view);
    tick();
  });
  $("main").append(form);
  input.focus();
}

function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll("nav button")) button.setAttribute("aria-selected", String(button.dataset.view === view));
  if ($("form.token")) return;
  for (const section of document.querySelectorAll("main section")) section.hidden = section.id !== view;
}

function sparkline(values, label) {
  const width = 300, height = 40, max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (HISTORY - 1) : 0;
  const offset = width - step * (values.length - 1);
  const points = values.map((value, i) => [offset + i * step, height - 2 - (value / max) * (height - 4)]);
  const line = points.map(([x, y], i) => (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1)).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  if (points.length > 1) {
    const area = document.createElementNS(svg.namespaceURI, "path");
    area.setAttribute("class", "area");
    area.setAttribute("d", line + " L" + points.at(-1)[0] + " " + height + " L" + points[0][0] + " " + height + " Z");
    const path = document.createElementNS(svg.namespaceURI, "path");
    path.setAttribute("class", "series");
    path.setAttribute("d", line);
    svg.append(area, path);
  }
  return svg;
}

function healthClass(backend) {
  if (!backend.healthy || backend.circuit === "open" || backend.ejected) return "bad";
  if (backend.draining || backend.circuit === "half_open") return "warn";
  return "ok";
}

function healthText(backend) {
  const parts = [backend.healthy ? "healthy" : "unhealthy", "circuit " + backend.circuit];
  if (backend.draining) parts.push("draining");
  if (backend.ejected) parts.push("ejected " + backend.ejected_for_s + " s");
  return parts.join(" · ");
}

function rate(backend, now) {
  const before = state.previous.get(backend.name);
  state.previous.set(backend.name, { requests: backend.requests, at: now });
  const series = state.history.get(backend.name) || [];
  if (before && now > before.at) series.push(Math.max(0, (backend.requests - before.requests) * 1000 / (now - before.at)));
  while (series.length > HISTORY) series.shift();
  state.history.set(backend.name, series);
  return series;
}

async function setDraining(name, draining) {
  await api("/backends/" + encodeURIComponent(name) + (draining ? "/drain" : "/resume"), { method: "POST" });
  await refreshFleet();
}

function backendCard(backend, now) {
  const series = rate(backend, now);
  const cap = backend.max_connections;
  const load = cap > 0 ? Math.min(100, (backend.inflight / cap) * 100) : Math.min(100, backend.inflight * 5);
  const card = el("article", { class: "card backend", "data-backend": backend.name, "data-health": healthClass(backend) },
    el("h2", {}, el("span", { class: "dot " + healthClass(backend) }), backend.name),
    el("div", { class: "url" }, backend.url),
    el("div", { class: "models" }, backend.models.join(", ")),
    el("div", { class: "row" }, el("span", {}, "state"), el("span", { class: "health" }, healthText(backend))),
    el("div", { class: "row" }, el("span", {}, "in flight"), el("span", { class: "inflight" }, backend.inflight + (cap > 0 ? " / " + cap : ""))),
    el("div", { class: "bar" }, el("div", { style: "width:" + load.toFixed(0) + "%" })),
    el("div", { class: "row" }, el("span", {}, "engine queue"), el("span", {}, String(backend.engine_queue ?? 0))),
    el("div", { class: "row" }, el("span", {}, "upstream pool"), el("span", {}, (backend.upstream ? backend.upstream.running + " running, " + backend.upstream.queued + " waiting" : "–"))),
    el("div", { class: "row" }, el("span", {}, "requests · failures"), el("span", { class: "requests" }, backend.requests + " · " + backend.failures)),
    sparkline(series, backend.name + " requests per second"),
    el("div", { class: "url" }, "requests/s over the last minute" + (series.length ? ": now " + series.at(-1).toFixed(1) + ", peak " + Math.max(...series).toFixed(1) : "")),
    backend.last_error ? el("div", { class: "error" }, backend.last_error) : null,
    el("button", { type: "button", class: "drain", onclick: () => setDraining(backend.name, !backend.draining) }, backend.draining ? "Resume" : "Drain"),
  );
  return card;
}

async function refreshFleet() {
  const fleet = await api("/console/api/fleet");
  const now = Date.now();
  $("#facts").textContent = fleet.backends.length + " backends · strategy " + fleet.strategy + " · up " + fleet.uptime_s + " s · " + fleet.total_inflight + " in flight";
  const grid = $("#fleet .grid");
  grid.replaceChildren(...fleet.backends.map((backend) => backendCard(backend, now)));
  $("#fleet .empty").hidden = fleet.backends.length > 0;
}

function pickText(pick) {
  return el("div", { class: "pick" },
    el("span", {}, pick.strategy + " → " + pick.picked),
    el("span", { class: "why" }, " among " + (pick.candidates.join(", ") || "none") + (pick.excluded.length ? "; passed by " + pick.excluded.join(", ") : "")),
    pick.failure ? el("div", { class: "failed" }, "failed: " + pick.failure) : null,
  );
}

function decisionRow(decision) {
  return el("tr", { class: "decision", "data-seq": String(decision.seq) },
    el("td", {}, new Date(decision.at).toLocaleTimeString()),
    el("td", {}, decision.model || "–"),
    el("td", { class: "status-" + String(decision.status)[0] }, String(decision.status)),
    el("td", {}, decision.durationMs.toFixed(1) + " ms"),
    el("td", {}, decision.answeredBy || "gateway"),
    el("td", { class: "picks" }, ...(decision.picks.length ? decision.picks.map(pickText) : [el("span", { class: "why" }, "no backend picked")])),
  );
}

async function refreshDecisions() {
  const { decisions } = await api("/console/api/decisions?after=" + state.lastSeq);
  if (decisions.length) state.lastSeq = decisions.at(-1).seq;
  state.decisions = [...decisions.reverse(), ...state.decisions].slice(0, 200);
  $("#routing tbody").replaceChildren(...state.decisions.map(decisionRow));
  $("#routing .empty").hidden = state.decisions.length > 0;
}


const PALETTE = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#79c0ff"];
const SLOW_POLL_MS = 5000;
let lastSlowPoll = 0;

function formData(id) {
  return Object.fromEntries(new FormData(document.getElementById(id)).entries());
}

function formatNumber(value, digits = 0) {
  if (value == null) return "–";
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Stacked bars, one slot per hour or day of the range, placed by their time so gaps show as gaps. */
function barChart(seriesByName, buckets, range, label) {
  const width = 800, height = 180, pad = 2;
  const slots = Math.round(range.spanMs / range.slotMs);
  const slotWidth = width / slots;
  const stackAt = buckets.map((_, j) => [...seriesByName.values()].reduce((sum, values) => sum + values[j], 0));
  const max = Math.max(1e-9, ...stackAt);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart big");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label + " (peak " + formatNumber(max, max < 10 ? 4 : 0) + ")");
  buckets.forEach((bucket, j) => {
    const slot = Math.min(slots - 1, Math.max(0, Math.floor((Date.parse(bucket) - range.fromMs) / range.slotMs)));
    let base = height;
    let i = 0;
    for (const values of seriesByName.values()) {
      const barHeight = (values[j] / max) * (height - pad);
      const color = PALETTE[i++ % PALETTE.length];
      if (barHeight <= 0) continue;
      base -= barHeight;
      const rect = document.createElementNS(svg.namespaceURI, "rect");
      rect.setAttribute("class", "bar");
      rect.setAttribute("x", (slot * slotWidth + 1).toFixed(1));
      rect.setAttribute("width", Math.max(1, slotWidth - 2).toFixed(1));
      rect.setAttribute("y", base.toFixed(1));
      rect.setAttribute("height", barHeight.toFixed(1));
      rect.setAttribute("style", "fill:" + color);
      svg.append(rect);
    }
  });
  return svg;
}

async function optional(path) {
  const headers = token() ? { authorization: "Bearer " + token() } : {};
  const response = await fetch(path, { headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    showTokenForm((body.error && body.error.message) || "This console needs the gateway's admin token.");
    throw new Error("unauthorized");
  }
  return { ok: response.ok, status: response.status, body };
}

async function refreshUsage() {
  const { group_by: groupBy, range, measure } = formData("usage-controls");
  const hours = range === "day" ? 24 : 720;
  const bucket = range === "day" ? "hour" : "day";
  const slotMs = (bucket === "hour" ? 1 : 24) * 3600 * 1000;
  // Whole buckets, so the first slot is not cut short.
  const fromMs = Math.floor((Date.now() - (hours - (bucket === "hour" ? 1 : 24)) * 3600 * 1000) / slotMs) * slotMs;
  const spanMs = hours * 3600 * 1000;
  const from = new Date(fromMs).toISOString();
  const usage = await optional("/admin/usage?group_by=" + groupBy + "&bucket=" + bucket + "&from=" + encodeURIComponent(from));
  const off = $("#usage-off");
  if (!usage.ok) {
    off.hidden = false;
    off.textContent = (usage.body.error && usage.body.error.message) || "Usage is not available (HTTP " + usage.status + ").";
    $("#usage-chart").replaceChildren();
    $("#usage-totals tbody").replaceChildren();
    $("#request-log tbody").replaceChildren();
    return;
  }
  off.hidden = true;
  const rows = usage.body.data;
  const buckets = [...new Set(rows.map((row) => row.bucket))].sort();
  const totals = new Map();
  for (const row of rows) {
    const name = row[groupBy] ?? "(none)";
    const total = totals.get(name) || { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
    for (const field of Object.keys(total)) total[field] += Number(row[field] || 0);
    totals.set(name, total);
  }
  const top = [...totals.entries()].sort((a, b) => b[1].requests - a[1].requests).slice(0, PALETTE.length).map(([name]) => name);
  const series = new Map(top.map((name) => [name, buckets.map((at) => Number((rows.find((row) => (row[groupBy] ?? "(none)") === name && row.bucket === at) || {})[measure] || 0))]));
  const legend = el("div", { class: "legend" }, ...top.map((name, i) => el("span", {}, el("i", { style: "background:" + PALETTE[i % PALETTE.length] }), name)));
  $("#usage-chart").replaceChildren(
    buckets.length ? barChart(series, buckets, { fromMs, spanMs, slotMs }, measure.replace("_", " ") + " per " + bucket + " by " + groupBy) : el("div", { class: "empty" }, "No requests in this range yet."),
    legend,
  );
  $("#usage-totals th.group").textContent = groupBy;
  $("#usage-totals tbody").replaceChildren(...[...totals.entries()].sort((a, b) => b[1].requests - a[1].requests).map(([name, total]) =>
    el("tr", { class: "usage-row" }, el("td", {}, name), el("td", {}, formatNumber(total.requests)), el("td", {}, formatNumber(total.errors)),
      el("td", {}, formatNumber(total.input_tokens)), el("td", {}, formatNumber(total.output_tokens)), el("td", {}, formatNumber(total.cost_usd, 4)))));
  const filters = formData("log-filters");
  const query = ["limit=50", ...Object.entries(filters).filter(([, value]) => value.trim()).map(([name, value]) => name + "=" + encodeURIComponent(value.trim()))].join("&");
  const log = await optional("/admin/requests?" + query);
  $("#request-log tbody").replaceChildren(...(log.ok ? log.body.data : []).map((row) =>
    el("tr", { class: "logged" }, el("td", {}, new Date(row.time).toLocaleString()), el("td", {}, row.key_name || "–"), el("td", {}, row.model_served || row.model_asked || "–"),
      el("td", {}, row.backend || "–"), el("td", { class: "status-" + String(row.status)[0] }, String(row.status)), el("td", {}, formatNumber(row.latency_ms, 1) + " ms"),
      el("td", {}, formatNumber(row.input_tokens) + " · " + formatNumber(row.output_tokens)), el("td", {}, row.cost_usd == null ? "–" : "$" + formatNumber(row.cost_usd, 5)))));
}

function budgetCell(record, spend) {
  if (!record.budgets || record.budgets.length === 0) return el("span", { class: "spend" }, "none");
  const own = (spend || []).find((entry) => entry.scope === "key");
  return el("div", {}, ...record.budgets.map((budget) => {
    const parts = [];
    for (const unit of ["usd", "tokens"]) {
      if (budget[unit] === undefined) continue;
      const used = own ? own.budgets.find((entry) => entry.unit === unit && entry.budget.period === budget.period) : undefined;
      const spent = used ? used.spent : 0;
      const share = Math.min(1, spent / budget[unit]);
      parts.push(el("div", { class: "spend" }, (unit === "usd" ? "$" + formatNumber(spent, spent > 0 && spent < 0.01 ? 6 : 4) + " of $" + formatNumber(budget[unit], 2) : formatNumber(spent) + " of " + formatNumber(budget[unit]) + " tokens") + " per " + budget.period,
        el("div", { class: "meter" + (share > 0.8 ? " high" : "") }, el("div", { style: "width:" + (share * 100).toFixed(0) + "%" }))));
    }
    return el("div", {}, ...parts);
  }));
}

async function refreshKeys() {
  const listed = await optional("/admin/keys");
  const note = $("#keys-note");
  if (!listed.ok) {
    note.hidden = false;
    note.textContent = (listed.body.error && listed.body.error.message) || "Keys are not available (HTTP " + listed.status + ").";
    return;
  }
  const keys = listed.body.keys;
  note.hidden = keys.length > 0;
  note.textContent = "No runtime keys yet. Keys from the config file work beside them and are not listed here.";
  const details = await Promise.all(keys.map((key) => optional("/admin/keys/" + encodeURIComponent(key.id)).then((answer) => answer.ok ? answer.body.spend : [])));
  $("#keys tbody").replaceChildren(...keys.map((key, i) =>
    el("tr", { class: "key", "data-key": key.id }, el("td", {}, key.name), el("td", {}, el("code", {}, key.key_hint || key.id)),
      el("td", {}, (key.models && key.models.length ? key.models.join(", ") : "all")), el("td", {}, budgetCell(key, details[i])),
      el("td", {}, key.expires_at ? new Date(key.expires_at).toLocaleString() : "never"),
      el("td", {}, el("button", { type: "button", class: "revoke", onclick: () => revokeKey(key) }, "Revoke")))));
}

async function revokeKey(key) {
  if (!confirm("Revoke " + key.name + "? Clients using it get 401 at once.")) return;
  await api("/admin/keys/" + encodeURIComponent(key.id), { method: "DELETE" });
  await refreshKeys();
}

async function createKey(event) {
  event.preventDefault();
  const form = formData("new-key");
  const body = { name: form.name.trim() };
  const models = form.models.split(",").map((model) => model.trim()).filter(Boolean);
  if (models.length) body.models = models;
  const budget = { period: "day" };
  if (form.usd.trim()) budget.usd = Number(form.usd);
  if (form.tokens.trim()) budget.tokens = Number(form.tokens);
  if (budget.usd !== undefined || budget.tokens !== undefined) body.budgets = [budget];
  const headers = { "content-type": "application/json" };
  if (token()) headers.authorization = "Bearer " + token();
  const response = await fetch("/admin/keys", { method: "POST", headers, body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({}));
  const box = $("#new-secret");
  if (!response.ok) {
    box.replaceChildren(el("div", { class: "error" }, (answer.error && answer.error.message) || "HTTP " + response.status));
    return;
  }
  box.replaceChildren(el("div", { class: "secret" }, "Key for " + answer.name + " (shown once; copy it now): ", el("code", { class: "secret-value" }, answer.key)));
  document.getElementById("new-key").reset();
  await refreshKeys();
}

async function slowTick() {
  if ($("form.token")) return;
  if (state.view === "usage") await refreshUsage();
  if (state.view === "keys") await refreshKeys();
}

document.getElementById("new-key").addEventListener("submit", (event) => createKey(event).catch((error) => { $("#new-secret").textContent = error.message; }));
document.getElementById("log-filters").addEventListener("submit", (event) => { event.preventDefault(); refreshUsage().catch(() => {}); });
document.getElementById("usage-controls").addEventListener("change", () => refreshUsage().catch(() => {}));

let ticking = false;
async function tick() {
  if (ticking || $("form.token")) return;
  ticking = true;
  try {
    const slow = Date.now() - lastSlowPoll >= SLOW_POLL_MS;
    if (slow) lastSlowPoll = Date.now();
    await Promise.all([refreshFleet(), refreshDecisions(), slow ? slowTick() : null]);
    $("#notice").textContent = "";
  } catch (error) {
    if (error.message !== "unauthorized") $("#notice").textContent = "Cannot reach the gateway: " + error.message;
  } finally {
    ticking = false;
  }
}

for (const button of document.querySelectorAll("nav button"))
  button.addEventListener("click", () => {
    show(button.dataset.view);
    slowTick().catch(() => {});
  });
show("fleet");
tick();
setInterval(tick, POLL_MS);
`;

/** The console page; `title` names the gateway it shows. */
export function consolePage(title = "Switchyard"): string {
  const safeTitle = title.replace(/[<>&"]/g, "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safeTitle} console</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${safeTitle}</h1>
  <span class="facts" id="facts">connecting…</span>
  <nav role="tablist">
    <button type="button" role="tab" data-view="fleet">Fleet</button>
    <button type="button" role="tab" data-view="routing">Routing</button>
    <button type="button" role="tab" data-view="usage">Usage</button>
    <button type="button" role="tab" data-view="keys">Keys</button>
  </nav>
</header>
<div id="notice" role="status"></div>
<main>
  <section id="fleet" aria-label="Fleet">
    <div class="grid"></div>
    <div class="empty" hidden>No backends yet.</div>
  </section>
  <section id="routing" aria-label="Routing decisions" hidden>
    <table>
      <thead><tr><th>time</th><th>model</th><th>status</th><th>took</th><th>answered by</th><th>decision</th></tr></thead>
      <tbody></tbody>
    </table>
    <div class="empty">Waiting for requests: decisions are sampled (up to 50 a second) while this page is open.</div>
  </section>
  <section id="usage" aria-label="Usage and spend" hidden>
    <form class="controls" id="usage-controls">
      <label>by <select name="group_by"><option value="model">model</option><option value="key">key</option><option value="backend">backend</option></select></label>
      <label>over <select name="range"><option value="day">the last 24 hours</option><option value="month">the last 30 days</option></select></label>
      <label>show <select name="measure"><option value="requests">requests</option><option value="output_tokens">output tokens</option><option value="cost_usd">cost (USD)</option></select></label>
    </form>
    <div class="empty" id="usage-off" hidden></div>
    <div id="usage-chart"></div>
    <table id="usage-totals"><thead><tr><th class="group">model</th><th>requests</th><th>errors</th><th>input tokens</th><th>output tokens</th><th>cost (USD)</th></tr></thead><tbody></tbody></table>
    <div class="panel-title">Request log</div>
    <form class="controls" id="log-filters">
      <input name="key" placeholder="key name"><input name="model" placeholder="model"><input name="status" placeholder="status" size="6">
      <button type="submit">Filter</button>
    </form>
    <table id="request-log"><thead><tr><th>time</th><th>key</th><th>model</th><th>backend</th><th>status</th><th>latency</th><th>tokens in · out</th><th>cost</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="keys" aria-label="Keys" hidden>
    <form class="controls" id="new-key">
      <input name="name" placeholder="name" required>
      <input name="models" placeholder="models (comma-separated; empty: all)">
      <input name="usd" placeholder="USD per day" size="10" inputmode="decimal">
      <input name="tokens" placeholder="tokens per day" size="12" inputmode="numeric">
      <button type="submit">Create key</button>
    </form>
    <div id="new-secret"></div>
    <div class="empty" id="keys-note" hidden></div>
    <table class="keys"><thead><tr><th>name</th><th>key</th><th>models</th><th>budgets</th><th>expires</th><th></th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;
}
