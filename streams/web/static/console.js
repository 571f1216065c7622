"use strict";
// citygate's desk: the map drawn from the server's /map.json as plain SVG (no tiles, no library), and the
// alerts, lockdowns, incidents and units from /events (a snapshot, then each change). Every text is set
// with textContent: what the topics carry is never read as markup.

const SVG = "http://www.w3.org/2000/svg";
const MAX_ROWS = 200; // alerts listed; the map keeps flashing the newest
const FLASH_MS = 12000;
const MANNED = new Set(["blockade_point", "rapid_response_point", "street_workstation", "smart_checkpoint_station",
  "expressway_station", "intercity_checkpoint", "water_duty_point", "waterway_checkpoint"]);
const CITY_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", hour12: false, month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});

const state = { alerts: new Map(), lockdowns: new Map(), incidents: new Map(), units: new Map() };
let reasons = {}; // command → the reason codes it may carry (from the server's snapshot)
const pending = new Map(); // command id → its line in the answers box, until the command side answers
let project = null;
let points = new Map(); // point id → [x, y, kind]
const layers = {};

function el(name, attrs = {}, text = null) {
  const node = name.startsWith("svg:")
    ? document.createElementNS(SVG, name.slice(4)) : document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function when(text) {
  const at = Date.parse(text || "");
  return Number.isNaN(at) ? "?" : CITY_TIME.format(new Date(at));
}

// ----------------------------------------------------------------------------------------------- map

async function drawMap() {
  const response = await fetch("/map.json", { credentials: "same-origin" });
  if (response.status === 401) { window.location.href = "/login?expired=1"; return; }
  const map = await response.json();
  const lons = map.points.map((p) => p[2]);
  const lats = map.points.map((p) => p[3]);
  for (const ring of map.rings) for (const [lon, lat] of ring.polygon) { lons.push(lon); lats.push(lat); }
  const [minLon, maxLon] = [Math.min(...lons), Math.max(...lons)];
  const [minLat, maxLat] = [Math.min(...lats), Math.max(...lats)];
  const squeeze = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const scale = 1000 / Math.max((maxLon - minLon) * squeeze, maxLat - minLat);
  project = (lon, lat) => [((lon - minLon) * squeeze * scale).toFixed(2), ((maxLat - lat) * scale).toFixed(2)];
  const svg = document.getElementById("map");
  const [width, height] = project(maxLon, minLat);
  const whole = [-10, -10, Number(width) + 20, Number(height) + 20];
  // Open on the urban ring (the city's whole territory is a click on "全域 whole city" away).
  const urban = map.rings.find((r) => r.name === "urban");
  let view = urban ? around(urban.polygon) : whole;
  const show = () => {
    svg.setAttribute("viewBox", view.map((v) => v.toFixed(1)).join(" "));
    // Markers keep their size on screen whatever the zoom (sizes in console.css are × --s).
    svg.style.setProperty("--s", String(Math.max(0.05, view[2] / whole[2])));
  };
  show();
  zoomable(svg, () => view, (next) => { view = next; show(); });
  document.getElementById("whole").addEventListener("click", () => { view = whole; show(); });
  for (const name of ["rings", "checkpoints", "manned", "trails", "ahead", "incidents", "units", "flashes"]) {
    layers[name] = el("svg:g", { class: `layer ${name}` });
    svg.appendChild(layers[name]);
  }
  for (const ring of map.rings) {
    const path = ring.polygon.map(([lon, lat]) => project(lon, lat).join(",")).join(" ");
    const polygon = el("svg:polygon", { points: path, class: `ring ring-${ring.name}`, "data-ring": ring.name });
    polygon.appendChild(el("svg:title", {}, `${ring.name} ring`));
    layers.rings.appendChild(polygon);
  }
  // 3,160 checkpoints: one path of tiny squares is far lighter than 3,160 elements.
  let dots = "";
  for (const [id, kind, lon, lat, , name] of map.points) {
    const [x, y] = project(lon, lat);
    points.set(id, [x, y, kind, name]);
    if (MANNED.has(kind)) {
      const mark = el("svg:circle", { cx: x, cy: y, class: `point ${kind}`, "data-point": id });
      mark.appendChild(el("svg:title", {}, `${id} ${name || ""} (${kind})`));
      // A point a lockdown still needs: a click marks it staffed (a unit radioed in there).
      mark.addEventListener("click", () => {
        if (mark.classList.contains("required") && window.confirm(`${id} 已上岗? mark staffed?`)) {
          send("staff_point", id, { reason_code: "radio_confirmed" });
        }
      });
      layers.manned.appendChild(mark);
    } else {
      dots += `M${x} ${y}h1v1h-1z`;
    }
  }
  layers.checkpoints.appendChild(el("svg:path", { d: dots, class: "checkpoint-dots" }));
}

function around(polygon) {
  const xy = polygon.map(([lon, lat]) => project(lon, lat).map(Number));
  const xs = xy.map((p) => p[0]);
  const ys = xy.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const pad = 0.06 * Math.max(Math.max(...xs) - x0, Math.max(...ys) - y0);
  return [x0 - pad, y0 - pad, Math.max(...xs) - x0 + 2 * pad, Math.max(...ys) - y0 + 2 * pad];
}

// Wheel to zoom about the pointer, drag to pan: the viewBox is the whole state of the view.
function zoomable(svg, current, set) {
  const toMap = (event, [x, y, w, h]) => {
    const box = svg.getBoundingClientRect();
    const scale = Math.max(w / box.width, h / box.height);
    return [x + (event.clientX - box.left - (box.width - w / scale) / 2) * scale,
      y + (event.clientY - box.top - (box.height - h / scale) / 2) * scale, scale];
  };
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [x, y, w, h] = current();
    const [mx, my] = toMap(event, [x, y, w, h]);
    const factor = event.deltaY > 0 ? 1.25 : 0.8;
    set([mx - (mx - x) * factor, my - (my - y) * factor, w * factor, h * factor]);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => { drag = [event.clientX, event.clientY, current()]; });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const [sx, sy, [x, y, w, h]] = drag;
    const [, , scale] = toMap(event, [x, y, w, h]);
    set([x - (event.clientX - sx) * scale, y - (event.clientY - sy) * scale, w, h]);
  });
  for (const end of ["pointerup", "pointerleave"]) svg.addEventListener(end, () => { drag = null; });
}

function place(lon, lat) {
  return typeof lon === "number" && typeof lat === "number" && project ? project(lon, lat) : null;
}

function flash(alert) {
  const where = points.get(alert.checkpoint_id);
  if (!where) return;
  const ring = el("svg:circle", { cx: where[0], cy: where[1], class: `flash p${alert.priority}`,
    "data-alert-id": alert.alert_id });
  layers.flashes.appendChild(ring);
  setTimeout(() => ring.remove(), FLASH_MS);
}

// ------------------------------------------------------------------------------------------ actions

// Send one command: the server signs it with this session's key, as the CLI does; the answer comes back
// on the event stream (command.results) and replaces the "sent" line.
async function send(command, targetId, extra = {}) {
  const line = el("li", { class: "answer sent" }, `${command} ${targetId} … 已发送 sent`);
  document.getElementById("answers").prepend(line);
  const response = await fetch("/api/command", {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ command, target_id: targetId, ...extra }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { window.location.href = "/login?expired=1"; return; }
  if (response.status !== 202) {
    line.className = "answer refused";
    line.textContent = `${command} ${targetId}: ${body.error || response.status}`;
    return;
  }
  line.dataset.commandId = body.command_id;
  pending.set(body.command_id, line);
}

function answered(answer) {
  const line = pending.get(answer.command_id);
  if (!line) return;
  pending.delete(answer.command_id);
  const applied = answer.outcome === "applied";
  line.className = `answer ${applied ? "applied" : "refused"}`;
  const why = applied ? (answer.effect || "") : `${answer.reason.code}: ${answer.reason.detail}`;
  line.textContent = `${answer.command} ${answer.target_id} ${applied ? "已执行 applied" : "被拒 refused"} ${why}`;
}

function button(label, action, attrs = {}) {
  const node = el("button", { type: "button", ...attrs }, label);
  node.addEventListener("click", (event) => { event.stopPropagation(); action(); });
  return node;
}

function reasonPicker(command, attrs = {}) {
  const select = el("select", { class: "reason", ...attrs });
  for (const reason of reasons[command] || ["other"]) select.appendChild(el("option", { value: reason }, reason));
  return select;
}

// ------------------------------------------------------------------------------------------- panels

function alertRow(alert) {
  const row = el("li", { class: `alert p${alert.priority} ${alert.state}`, "data-alert-id": alert.alert_id });
  row.appendChild(el("span", { class: "priority" }, `P${alert.priority}`));
  row.appendChild(el("span", { class: "plate" }, alert.plate || "?"));
  row.appendChild(el("span", { class: "checkpoint" }, alert.checkpoint_id || "-"));
  row.appendChild(el("time", {}, when(alert.event_time || alert.created_at)));
  row.appendChild(el("span", { class: "state" }, alert.state));
  const summary = (alert.summary && (alert.summary.zh || alert.summary.en)) || alert.kind;
  row.appendChild(el("span", { class: "summary" }, summary));
  if (alert.state === "new" || alert.state === "updated") {
    const actions = el("span", { class: "actions" });
    actions.appendChild(button("接受 accept", () => send("accept_hit", alert.alert_id,
      { reason_code: "confirmed_visually" }), { class: "accept" }));
    const why = reasonPicker("reject_hit");
    actions.appendChild(why);
    actions.appendChild(button("驳回 reject", () => send("reject_hit", alert.alert_id,
      { reason_code: why.value }), { class: "reject" }));
    row.appendChild(actions);
  }
  return row;
}

// Per alert record (a new version is a new object): its row and its time, made once. A redraw then moves
// the rows it keeps (a reason being chosen in one stays chosen) and builds only the new ones.
const rows = new WeakMap();
const times = new WeakMap();

function rowOf(alert) {
  let row = rows.get(alert);
  if (!row) { row = alertRow(alert); rows.set(alert, row); }
  return row;
}

function timeOf(alert) {
  let at = times.get(alert);
  if (at === undefined) { at = Date.parse(alert.event_time || alert.created_at); times.set(alert, at); }
  return at;
}

function drawAlerts() {
  const list = document.getElementById("alerts");
  const shown = [...state.alerts.values()].sort((a, b) => a.priority - b.priority || timeOf(b) - timeOf(a));
  list.replaceChildren(...shown.slice(0, MAX_ROWS).map(rowOf));
}

function drawLockdowns() {
  const box = document.getElementById("lockdowns");
  const active = [...state.lockdowns.values()].filter((l) => l.status === "active");
  const closed = new Set(active.flatMap((l) => l.rings));
  for (const polygon of layers.rings.children) {
    polygon.classList.toggle("closed", closed.has(polygon.dataset.ring));
  }
  const required = new Set();
  const staffed = new Set();
  for (const lockdown of active) {
    for (const ring of lockdown.rings) {
      const points = (lockdown.points || {})[ring] || { required: [], staffed: [] };
      points.required.forEach((p) => required.add(p));
      points.staffed.forEach((p) => staffed.add(p));
    }
  }
  for (const mark of layers.manned.children) {
    mark.classList.toggle("required", required.has(mark.dataset.point) && !staffed.has(mark.dataset.point));
    mark.classList.toggle("staffed", staffed.has(mark.dataset.point));
  }
  if (!active.length) { box.replaceChildren(el("p", { class: "empty" }, "无 none active")); return; }
  box.replaceChildren(...active.map((lockdown) => {
    const card = el("div", { class: "lockdown", "data-lockdown-id": lockdown.lockdown_id });
    card.appendChild(el("div", { class: "title" }, `${lockdown.lockdown_id} · ${lockdown.incident_id || ""}`));
    for (const ring of lockdown.rings) {
      const points = (lockdown.points || {})[ring] || { required: [], staffed: [] };
      const line = el("div", { class: "ring-progress", "data-ring": ring });
      const sealed = (lockdown.sealed || {})[ring];
      line.appendChild(el("span", { class: "name" }, ring));
      const bar = el("progress", { max: Math.max(1, points.required.length), value: points.staffed.length });
      line.appendChild(bar);
      line.appendChild(el("span", { class: "count" },
        `${points.staffed.length}/${points.required.length}${sealed ? " 已封闭 sealed" : ""}`));
      card.appendChild(line);
    }
    const why = reasonPicker("lift_lockdown");
    const actions = el("div", { class: "actions" });
    actions.appendChild(why);
    actions.appendChild(button("解除 lift", () => send("lift_lockdown", lockdown.lockdown_id,
      { reason_code: why.value }), { class: "lift" }));
    card.appendChild(actions);
    return card;
  }));
}

// The newest intercept_ahead alert of each incident (ours, or another agency's lookout): where its vehicle
// should pass next, and when. Drawn until a quarter of an hour after the last of its passing windows.
const AHEAD_GRACE_MS = 15 * 60 * 1000;

function interceptsByIncident() {
  const found = new Map();
  for (const alert of state.alerts.values()) {
    if (alert.kind !== "intercept_ahead" || !alert.incident_id || !alert.intercept) continue;
    const known = found.get(alert.incident_id);
    if (!known || Date.parse(alert.created_at) > Date.parse(known.created_at)) found.set(alert.incident_id, alert);
  }
  return found;
}

function drawAhead(alert) {
  const ahead = alert.intercept.points || [];
  if (!ahead.some((p) => Date.parse(p.latest) + AHEAD_GRACE_MS >= Date.now())) return [];
  for (const point of ahead) {
    const at = points.get(point.point_id);
    if (!at) continue;
    const mark = el("svg:circle", { cx: at[0], cy: at[1], class: "ahead",
      "data-point": point.point_id, "data-incident-id": alert.incident_id });
    mark.appendChild(el("svg:title", {},
      `${alert.plate} ${alert.incident_id} → ${point.point_id} ${when(point.earliest)}–${when(point.latest)}`));
    layers.ahead.appendChild(mark);
  }
  return ahead;
}

function drawIncidents() {
  const list = document.getElementById("incidents");
  const open = [...state.incidents.values()].filter((i) => i.status === "open");
  layers.incidents.replaceChildren();
  layers.trails.replaceChildren();
  layers.ahead.replaceChildren();
  const ahead = new Map([...interceptsByIncident()].map(([id, alert]) => [id, drawAhead(alert)]));
  list.replaceChildren(...open.map((incident) => {
    const where = place(incident.lon, incident.lat);
    if (where) {
      const mark = el("svg:circle", { cx: where[0], cy: where[1],
        class: `incident p${incident.priority}`, "data-incident-id": incident.incident_id });
      mark.appendChild(el("svg:title", {}, `${incident.incident_id} ${incident.category}`));
      layers.incidents.appendChild(mark);
      const trail = (incident.sightings || []).map((s) => points.get(s.checkpoint_id)).filter(Boolean);
      if (trail.length) {
        layers.trails.appendChild(el("svg:polyline", {
          points: [where, ...trail].map((p) => `${p[0]},${p[1]}`).join(" "), class: "trail" }));
      }
    }
    const row = el("li", { class: `incident p${incident.priority}`, "data-incident-id": incident.incident_id });
    row.appendChild(el("span", { class: "priority" }, `P${incident.priority}`));
    row.appendChild(el("span", {}, incident.category));
    row.appendChild(el("span", { class: "address" }, incident.address || ""));
    row.appendChild(el("time", {}, when(incident.started_at)));
    const sent = (incident.dispatches || []).map((d) => d.unit_id).join(", ");
    const proposed = (incident.proposal || [])
      .map((p) => `${p.unit_id} ~${Math.round(p.travel_s / 60)}′`).join(", ");
    row.appendChild(el("span", { class: "sent" }, sent ? `已派 sent ${sent}` : "未派 none sent"));
    if (!sent && proposed) row.appendChild(el("span", { class: "proposal" }, `建议 proposed ${proposed}`));
    const next = (ahead.get(incident.incident_id) || []).slice(0, 3)
      .map((p) => `${p.point_id} ${when(p.earliest)}–${when(p.latest)}`).join(", ");
    if (next) {
      row.appendChild(el("span", { class: "ahead" }, `前方 ahead ${next}`));
    }
    row.appendChild(button("派警 dispatch", () => send("dispatch", incident.incident_id,
      { reason_code: "proposal" }), { class: "dispatch" }));
    return row;
  }));
}

function drawUnits() {
  const list = document.getElementById("units");
  layers.units.replaceChildren();
  const units = [...state.units.values()].sort((a, b) => a.unit_id.localeCompare(b.unit_id));
  list.replaceChildren(...units.map((unit) => {
    const where = unit.position && place(unit.position.lon, unit.position.lat);
    if (where) {
      const mark = el("svg:circle", { cx: where[0], cy: where[1],
        class: `unit ${unit.status}${unit.position_stale ? " stale" : ""}`, "data-unit-id": unit.unit_id });
      mark.appendChild(el("svg:title", {}, `${unit.unit_id} ${unit.status}`));
      layers.units.appendChild(mark);
    }
    const row = el("li", { class: `unit ${unit.status}`, "data-unit-id": unit.unit_id });
    row.appendChild(el("span", { class: "id" }, unit.unit_id));
    row.appendChild(el("span", { class: "status" }, unit.status + (unit.position_stale ? " (stale)" : "")));
    row.appendChild(el("time", {}, when(unit.position_at)));
    if (unit.task) {
      row.appendChild(button("收队 release", () => send("release_unit", unit.unit_id,
        { reason_code: "task_done" }), { class: "release" }));
    }
    return row;
  }));
}

// ------------------------------------------------------------------------------------------- events

const DRAW = { alert: drawAlerts, lockdown: drawLockdowns, incident: drawIncidents, unit: drawUnits };
// What the page spends drawing: the map once, and the last 500 redraws after a change (milliseconds). Read by
// the bench (bench/web_scale.py) from a real browser; nothing else uses it.
const timings = { map_ms: null, redraw_ms: [] };
window.citygateTimings = timings;

function redraw(change) {
  const started = performance.now();
  DRAW[change.kind]();
  if (change.kind === "alert" && change.data.kind === "intercept_ahead") drawIncidents();
  if (change.kind === "alert" && change.data.state === "new") flash(change.data);
  timings.redraw_ms.push(performance.now() - started);
  if (timings.redraw_ms.length > 500) timings.redraw_ms.shift();
}
const KEY = { alert: "alert_id", lockdown: "lockdown_id", incident: "incident_id", unit: "unit_id" };
const BOOK = { alert: "alerts", lockdown: "lockdowns", incident: "incidents", unit: "units" };

function take(kind, data) {
  if (!KEY[kind] || typeof data[KEY[kind]] !== "string") return false;
  state[BOOK[kind]].set(data[KEY[kind]], data);
  return true;
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource("/events");
  source.addEventListener("snapshot", (event) => {
    const snapshot = JSON.parse(event.data);
    document.getElementById("operator").textContent = snapshot.operator_id;
    document.getElementById("privileged").hidden = !snapshot.privileged;
    reasons = snapshot.reasons || {};
    for (const kind of Object.keys(BOOK)) state[BOOK[kind]].clear();
    for (const kind of Object.keys(BOOK)) for (const data of snapshot[BOOK[kind]] || []) take(kind, data);
    Object.values(DRAW).forEach((draw) => draw());
    status.dataset.state = "live";
    status.textContent = "实时 live";
  });
  source.addEventListener("change", (event) => {
    const change = JSON.parse(event.data);
    if (change.kind === "answer") { answered(change.data); return; }
    if (!take(change.kind, change.data)) return;
    redraw(change);
  });
  source.addEventListener("expired", () => { source.close(); window.location.href = "/login?expired=1"; });
  source.onerror = () => {
    status.dataset.state = "reconnecting";
    status.textContent = "重连中 reconnecting";
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
  };
}

// Intercept-ahead marks lapse with time, not only with a change: look again every minute.
setInterval(() => { if (layers.ahead) drawIncidents(); }, 60 * 1000);

const mapStarted = performance.now();
drawMap().then(() => { timings.map_ms = performance.now() - mapStarted; connect(); });
