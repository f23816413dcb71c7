// Dispatcher board: the day's jobs and couriers, plan (background solve with progress), map, timeline, KPIs,
// edits (move / unassign / lock), publish, mid-day re-plan and a live view.
import { el } from "./dom.js";
import { api, ApiError, loadAuth, login, saveAuth } from "./api.js";
import { config, errorText, fmtNumber, fmtTime, fmtWindow, t, todayWIB } from "./i18n.js";
import { COLOURS, dotIcon, fitTo, makeMap, numberIcon, textTooltip } from "./leafmap.js";
import { allStops, courierOf, jobStops, kpiValues, ms, slackMinutes } from "./plandata.js";
import { PlanMap } from "./planmap.js";

const $ = (id) => document.getElementById(id);
const state = { auth: loadAuth("staff"), offices: [], day: null, plan: null, published: null, tab: "jobs", live: null, liveTimer: null, unavailable: new Set() };

const token = () => state.auth && state.auth.access_token;
const call = (path, opts = {}) => api(path, { token: token(), ...opts });
const officeId = () => $("office").value;
const day = () => $("day").value;

function message(text, isError = false) {
  const box = $("board-message");
  box.textContent = text;
  box.hidden = !text;
  box.classList.toggle("error", isError);
}

function fail(err) {
  if (err instanceof ApiError && err.status === 401) return logout();
  message(errorText(err), true);
}

// ------------------------------------------------------------------ login
function show(view) {
  $("view-login").hidden = view !== "login";
  $("view-board").hidden = view !== "board";
  $("logout").hidden = view !== "board";
}

function logout() {
  saveAuth("staff", null);
  state.auth = null;
  show("login");
}

$("logout").addEventListener("click", logout);
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const auth = await login($("login-username").value.trim(), $("login-password").value, "access", "dispatcher-board");
    if (!["dispatcher", "admin"].includes(auth.role)) throw new ApiError(403, null);
    state.auth = auth;
    saveAuth("staff", auth);
    await startBoard();
  } catch (err) {
    $("login-error").textContent = err instanceof ApiError && err.status === 401 ? t("login.failed") : errorText(err);
    $("login-error").hidden = false;
  }
});

// ------------------------------------------------------------------ tabs
for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => selectTab(b.dataset.tab));

function selectTab(name) {
  state.tab = name;
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== `panel-${name}`;
  clearInterval(state.liveTimer);
  if (name === "plan" && state.plan) drawPlanMap(state.plan);
  if (name === "live") {
    loadLive();
    state.liveTimer = setInterval(loadLive, 15000);
  }
}

// ------------------------------------------------------------------ the day
async function loadDay() {
  message("");
  try {
    state.day = await call(`/api/offices/${officeId()}/days/${day()}`);
  } catch (err) {
    state.day = null;
    renderDay();
    return fail(err);
  }
  renderDay();
  renderTravel();
  const plans = state.day.plans || [];
  state.published = plans.find((p) => p.status === "published") || null;
  const latest = [...plans].sort((a, b) => b.version - a.version)[0];
  renderVersions(plans);
  if (latest) await loadPlan(latest.id);
  else renderPlan(null);
}

// A road engine that does not answer: plans, slot offers and ETAs are straight-line meanwhile; say so.
function renderTravel() {
  const box = $("travel-warning");
  const now = state.day && state.day.travel;
  const plan = state.plan && state.plan.travel;
  const lines = [];
  if (now && now.fallback) lines.push(t("dispatcher.travel_down", { model: now.configured }));
  if (plan && plan.fallback) lines.push(t("dispatcher.travel_plan_straight", { v: state.plan.version }));
  box.textContent = lines.join(" ");
  if (now && now.warning) box.title = now.warning;
  box.hidden = !lines.length;
}

function renderDay() {
  const jobs = (state.day && state.day.jobs) || [];
  const couriers = (state.day && state.day.couriers) || [];
  $("day-summary").textContent = t("dispatcher.jobs_count", { n: fmtNumber(jobs.length) });
  $("jobs-body").replaceChildren(
    ...jobs.map((j) =>
      el(
        "tr",
        { "data-job-id": j.job_id ?? j.id },
        el("td", { text: j.tracking_code || `#${j.job_id ?? j.id}` }),
        el("td", { text: t(`kind.${j.kind}`) }),
        el("td", { text: j.applicant_name || "" }),
        el("td", { text: [j.address || j.address_text, j.rt_rw].filter(Boolean).join(" · ") }),
        el("td", { text: fmtWindow(j.window_start, j.window_end) }),
        el("td", { text: t(`status.${j.status}`) })
      )
    )
  );
  $("couriers-body").replaceChildren(
    ...couriers.map((row) => {
      // DayCourierOut: {courier: {id, code, name}, shift_start, shift_end, available, capacity_docs, breaks}
      const c = row.courier || row;
      const breaks = row.breaks || [];
      const box = el("input", { type: "checkbox", id: `unavail-${c.id}`, "data-courier-id": c.id });
      box.checked = state.unavailable.has(String(c.id)) || row.available === false;
      box.addEventListener("change", () => (box.checked ? state.unavailable.add(String(c.id)) : state.unavailable.delete(String(c.id))));
      return el(
        "tr",
        { "data-courier-id": c.id },
        el("td", {}, el("strong", { text: c.name }), ` ${c.code || ""}`, el("br"), el("label", { class: "check", for: `unavail-${c.id}` }, box, t("dispatcher.replan_unavailable"))),
        el("td", { text: row.shift_start ? fmtWindow(row.shift_start, row.shift_end) : "—" }),
        el("td", { text: breaks.map((b) => `${t("dispatcher.legend.break")} ${Math.round((b.duration_s || 0) / 60)}′ ${(b.windows || []).map((w) => fmtWindow(w.start_at || w.start, w.end_at || w.end)).join(" / ")}`).join("; ") }),
        el("td", { text: row.capacity_docs !== undefined ? String(row.capacity_docs) : "" })
      );
    })
  );
}

// ------------------------------------------------------------------ CSV import
$("import-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("import-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  const out = $("import-result");
  out.replaceChildren();
  try {
    const result = await call(`/api/offices/${officeId()}/days/${day()}/jobs/import`, { method: "POST", form });
    const errors = result.errors || [];
    out.append(el("p", { text: t("dispatcher.import_result", { created: result.created ?? 0, errors: errors.length }) }));
    const list = el("ul", { class: "import-errors" });
    for (const e of errors) list.append(el("li", { text: t("dispatcher.import_row", { row: e.row, error: e.error || e.message || "" }) }));
    if (errors.length) out.append(list);
    await loadDay();
  } catch (err) {
    out.append(el("p", { class: "error", text: errorText(err) }));
    const rows = err.body?.error?.details?.errors || []; // all or nothing: the rows to fix before sending again
    const list = el("ul", { class: "import-errors" });
    for (const e of rows) list.append(el("li", { text: t("dispatcher.import_row", { row: e.row, error: e.message || e.error || "" }) }));
    if (rows.length) out.append(list);
  }
});

// ------------------------------------------------------------------ solving
async function solve(kind) {
  message("");
  const body = kind === "replan" ? { unavailable_courier_ids: [...state.unavailable].map(Number) } : {};
  body.balance_weight = $("balance").checked ? 1 : 0;
  let run;
  try {
    run = await call(`/api/offices/${officeId()}/days/${day()}/${kind === "replan" ? "replan" : "plans"}`, { method: "POST", json: body });
  } catch (err) {
    return fail(err);
  }
  const box = $("solve-box");
  box.hidden = false;
  const statusUrl = run.status_url || `/api/solve-runs/${run.run_id}`;
  for (;;) {
    let status;
    try {
      status = await call(statusUrl);
    } catch (err) {
      box.hidden = true;
      return fail(err);
    }
    const p = Math.round((status.progress || 0) * 100);
    $("solve-text").textContent = t("dispatcher.solving", { p });
    $("solve-bar").style.width = `${p}%`;
    if (status.status === "done") break;
    if (status.status === "failed") {
      box.hidden = true;
      return message(t("dispatcher.solve_failed", { message: status.message || "" }), true);
    }
    await new Promise((r) => setTimeout(r, 600));
  }
  box.hidden = true;
  await loadDay();
  selectTab("plan");
}

$("plan-btn").addEventListener("click", () => solve("plan"));
$("replan-btn").addEventListener("click", () => solve("replan"));

// ------------------------------------------------------------------ plan
function renderVersions(plans) {
  const select = $("plan-version");
  select.replaceChildren(
    ...[...plans].sort((a, b) => b.version - a.version).map((p) => el("option", { value: p.id, text: t("dispatcher.plan_version", { v: p.version, status: t(`dispatcher.plan_status.${p.status}`) }) }))
  );
}

$("plan-version").addEventListener("change", (e) => loadPlan(e.target.value));

async function loadPlan(id) {
  try {
    state.plan = await call(`/api/plans/${id}`);
  } catch (err) {
    return fail(err);
  }
  $("plan-version").value = String(state.plan.id);
  renderPlan(state.plan);
  renderTravel();
}

function renderPlan(plan) {
  $("publish-btn").disabled = !plan || plan.status !== "draft";
  $("plan-title").textContent = plan ? t("dispatcher.plan_version", { v: plan.version, status: t(`dispatcher.plan_status.${plan.status}`) }) : t("dispatcher.no_plan");
  $("plan-title").dataset.status = plan ? plan.status : "";
  if (!plan) {
    $("kpis").replaceChildren();
    $("route-tables").replaceChildren();
    $("unassigned").replaceChildren();
    $("gantt").replaceChildren();
    if (state.planMap) state.planMap.clear();
    return;
  }
  renderKpis(plan);
  renderRoutes(plan);
  renderGantt(plan);
  drawPlanMap(plan);
}

/** The office's service area (GeoJSON), fetched once per office; the map draws without it if it fails. */
async function serviceArea(id) {
  state.serviceAreas = state.serviceAreas || {};
  if (!(id in state.serviceAreas)) {
    try {
      state.serviceAreas[id] = (await call(`/api/offices/${id}?simplify_m=25`)).service_area || null;
    } catch {
      state.serviceAreas[id] = null;
    }
  }
  return state.serviceAreas[id];
}

async function drawPlanMap(plan) {
  if ($("panel-plan").hidden) return; // Leaflet cannot fit a hidden map: it is drawn when the tab opens
  const area = plan.office ? await serviceArea(plan.office.id) : null;
  if (state.plan !== plan) return; // another plan was opened while the area loaded
  if (!state.planMap) state.planMap = new PlanMap($("plan-map"));
  state.planMap.draw(plan, area);
}

async function renderKpis(plan) {
  const box = $("kpis");
  const mine = kpiValues(plan.kpis || {});
  let other = null;
  if (state.published && state.published.id !== plan.id) {
    try {
      const cmp = await call(`/api/plans/${plan.id}/compare`);
      const ref = cmp.other || cmp.published || cmp.current || null;
      other = ref ? kpiValues(ref.kpis || ref) : null;
    } catch {
      other = null;
    }
  }
  const defs = [
    ["jobs_served", 0, +1],
    ["km", 1, -1],
    ["hours", 1, -1],
    ["on_time_margin", 0, +1],
    ["on_time_share", 0, +1],
    ["custody_hours", 1, -1],
    ["custody_max", 0, -1],
    ["workload_spread", 1, -1],
    ["unassigned", 0, -1],
  ];
  box.replaceChildren(
    ...defs.map(([key, digits, better]) => {
      const v = mine ? mine[key] : null;
      const card = el("div", { class: "kpi", "data-kpi": key }, el("div", { class: "muted", text: t(`dispatcher.kpi.${key}`) }), el("div", { class: "value", text: v === null ? "—" : fmtNumber(v, digits) }));
      if (other && other[key] !== null && v !== null) {
        const d = v - other[key];
        const cls = d === 0 ? "" : (d > 0) === (better > 0) ? "better" : "worse";
        card.append(el("div", { class: `delta ${cls}`, text: `${t("dispatcher.kpi.current")}: ${fmtNumber(other[key], digits)} (${d > 0 ? "+" : ""}${fmtNumber(d, digits)})` }));
      }
      return card;
    })
  );
  const balanced = Number((plan.solver_params || {}).balance_weight || 0) > 0;
  box.append(el("p", { class: "muted", "data-testid": "balance-note", text: t(balanced ? "dispatcher.balanced" : "dispatcher.not_balanced") }));
  const sp = plan.solver_params || {};
  if (Number(sp.custody_cost || 0) > 0 || Number(sp.margin_s || 0) > 0) {
    box.append(el("p", { class: "muted", "data-testid": "objective-note", text: t("dispatcher.objective_note", { min: fmtNumber(Number(sp.margin_s || 0) / 60, 0) }) }));
  }
}

function courierOptions(routes, current) {
  const opts = [el("option", { value: "", text: t("dispatcher.unassign") })];
  for (const r of routes) {
    const c = courierOf(r);
    const o = el("option", { value: c.id, text: c.name });
    if (String(c.id) === String(current)) o.selected = true;
    opts.push(o);
  }
  return opts;
}

function moveControls(plan, jobId, currentCourier, locked) {
  const editable = plan.status === "draft" || plan.status === "published";
  const id = `mv-${jobId}`;
  const select = el("select", { id, "aria-label": t("dispatcher.move_to"), "data-testid": "move-select" }, ...courierOptions(plan.routes || [], currentCourier));
  const lock = el("input", { type: "checkbox", id: `lk-${jobId}`, "data-testid": "lock-box" });
  lock.checked = Boolean(locked);
  const button = el("button", { class: "btn", type: "button", "data-testid": "move-btn", text: t("dispatcher.move") });
  button.disabled = !editable;
  button.addEventListener("click", () => move(plan, jobId, select.value ? Number(select.value) : null, lock.checked));
  return el("span", { class: "row" }, select, el("label", { class: "check", for: `lk-${jobId}` }, lock, t("dispatcher.lock")), button);
}

async function move(plan, jobId, courierId, locked) {
  try {
    const result = await call(`/api/plans/${plan.id}/moves`, { method: "POST", json: { job_id: jobId, courier_id: courierId, lock: locked } });
    const newId = result.plan_id || result.id;
    message(t("dispatcher.moved", { v: result.version ?? "" }));
    await loadDay();
    if (newId) await loadPlan(newId);
  } catch (err) {
    fail(err);
  }
}

function renderRoutes(plan) {
  const box = $("route-tables");
  box.replaceChildren();
  (plan.routes || []).forEach((route, index) => {
    const c = courierOf(route);
    const stops = jobStops(route);
    const head = el(
      "h3",
      { class: "row" },
      el("span", { class: "swatch", style: `background:${COLOURS[index % COLOURS.length]}` }),
      `${c.name} — ${t("print.total", { stops: stops.length, km: fmtNumber((route.distance_m || 0) / 1000, 1) })}`,
      el("a", { class: "btn", href: `/dispatcher/print/${plan.id}/${c.id}`, target: "_blank", "data-testid": "print-link", text: t("dispatcher.print") })
    );
    const rows = stops.map((s, i) => {
      const slack = slackMinutes(s);
      return el(
        "tr",
        { "data-job-id": s.job_id, class: slack !== null && slack < 0 ? "late-risk" : "" },
        el("td", { text: String(i + 1) }),
        el("td", { text: [s.tracking_code, s.applicant_name].filter(Boolean).join(" · ") || `#${s.job_id}` }),
        el("td", { text: fmtWindow(s.window_start, s.window_end) }),
        el("td", { class: slack !== null && slack < 0 ? "late" : "", text: `${fmtTime(s.eta || s.planned_arrival)}${slack !== null ? ` (${slack < 0 ? t("dispatcher.late_by", { n: -slack }) : t("dispatcher.slack", { n: slack })})` : ""}` }),
        el("td", {}, moveControls(plan, s.job_id, c.id, s.locked))
      );
    });
    box.append(
      el("section", { class: "card", "data-courier-id": c.id, "data-testid": "route-table" }, head,
        el("table", { class: "grid route-table" },
          el("thead", {}, el("tr", {}, ...["col.seq", "col.applicant", "col.window", "col.eta", "col.actions"].map((k) => el("th", { text: t(`dispatcher.${k}`) })))),
          el("tbody", {}, ...rows)))
    );
  });
  const un = $("unassigned");
  un.replaceChildren(
    ...(plan.unassigned || []).map((u) => {
      const reason = t(`reason.${u.reason}`);
      return el("li", { "data-job-id": u.job_id }, el("strong", { text: u.tracking_code || `#${u.job_id}` }), ` — ${reason.startsWith("reason.") ? t("reason.unknown") : reason} `, u.detail ? el("small", { class: "muted", text: `(${u.detail})` }) : null, moveControls(plan, u.job_id, null, false));
    })
  );
}

// A simple Gantt per courier: travel, waiting, service and breaks against the applicants' windows.
function renderGantt(plan) {
  const box = $("gantt");
  box.replaceChildren();
  const routes = plan.routes || [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of routes) {
    for (const v of [ms(r.start_at), ms(r.end_at)]) if (v !== null) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    for (const s of r.stops || []) {
      for (const v of [ms(s.planned_arrival), ms(s.window_start), ms(s.window_end), ms(s.planned_start) && ms(s.planned_start) + (s.service_s || 0) * 1000]) {
        if (v) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      }
    }
  }
  if (!Number.isFinite(lo)) return;
  const H = 3600000;
  lo = Math.floor(lo / H) * H;
  hi = Math.ceil(hi / H) * H;
  const span = hi - lo;
  const pct = (v) => `${(((v - lo) / span) * 100).toFixed(3)}%`;
  const width = (a, b) => `${((Math.max(b - a, 0) / span) * 100).toFixed(3)}%`;
  const hours = span / H;
  const ticks = el("div", { class: "ticks" });
  for (let i = 0; i <= hours; i++) ticks.append(el("span", { style: `left:${((i / hours) * 100).toFixed(3)}%`, text: fmtTime(lo + i * H) }));
  box.append(el("div", { class: "gantt-axis" }, el("span"), ticks));
  routes.forEach((route, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const c = courierOf(route);
    const track = el("div", { class: "gantt-track", style: `--hour:${(100 / hours).toFixed(4)}%` });
    let prev = ms(route.start_at);
    for (const s of allStops(route)) {
      const arrival = ms(s.planned_arrival);
      const start = ms(s.planned_start) ?? arrival;
      const end = start !== null ? start + (s.service_s || 0) * 1000 : null;
      if (JOB_WINDOW(s)) track.append(el("div", { class: "seg window", style: `left:${pct(ms(s.window_start))};width:${width(ms(s.window_start), ms(s.window_end))}`, title: fmtWindow(s.window_start, s.window_end) }));
      if (prev !== null && arrival !== null && arrival > prev) track.append(el("div", { class: "seg travel", style: `left:${pct(prev)};width:${width(prev, arrival)}`, title: `${t("dispatcher.legend.travel")} ${fmtTime(prev)}–${fmtTime(arrival)}` }));
      if (arrival !== null && start !== null && start > arrival) track.append(el("div", { class: "seg wait", style: `left:${pct(arrival)};width:${width(arrival, start)}`, title: t("dispatcher.legend.wait") }));
      if (start !== null && end !== null && end > start) {
        const slack = slackMinutes(s);
        const cls = s.kind === "break" ? "seg break" : `seg service${slack !== null && slack < 0 ? " late" : ""}`;
        const label = s.kind === "break" ? t("dispatcher.legend.break") : `${s.applicant_name || s.tracking_code || `#${s.job_id}`} ${fmtTime(start)}${slack !== null ? ` · ${slack < 0 ? t("dispatcher.late_by", { n: -slack }) : t("dispatcher.slack", { n: slack })}` : ""}`;
        track.append(el("div", { class: cls, style: `left:${pct(start)};width:${width(start, end)};--c:${colour}`, title: label, "data-testid": "gantt-seg" }));
      }
      if (end !== null) prev = end;
    }
    box.append(el("div", { class: "gantt-row", "data-courier-id": c.id }, el("div", { class: "gantt-name" }, el("span", { class: "swatch", style: `background:${colour}` }), c.name), track));
  });
}

function JOB_WINDOW(s) {
  return s.window_start && s.window_end && s.kind !== "break";
}

// A draft the verifier failed is refused (409 plan_unverified): show what it breaks, publish only on confirmation.
function violationLines(violations) {
  return violations.map((v) => {
    const rule = t(`rule.${v.rule}`);
    const where = [v.courier_id ? t("dispatcher.violation_courier", { id: v.courier_id }) : null, v.job_id ? `#${v.job_id}` : null].filter(Boolean).join(", ");
    return `• ${rule.startsWith("rule.") ? v.rule : rule}${where ? ` (${where})` : ""}: ${v.message}`;
  });
}

async function publishPlan(plan) {
  try {
    return await call(`/api/plans/${plan.id}/publish`, { method: "POST", json: {} });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "plan_unverified") throw err;
    const violations = (err.body.error.details && err.body.error.details.violations) || [];
    const text = [t("dispatcher.publish_unverified", { n: violations.length }), "", ...violationLines(violations), "", t("dispatcher.publish_anyway")].join("\n");
    if (!window.confirm(text)) return null;
    return call(`/api/plans/${plan.id}/publish`, { method: "POST", json: { force: true } });
  }
}

$("publish-btn").addEventListener("click", async () => {
  if (!state.plan) return;
  try {
    if (!(await publishPlan(state.plan))) return message(t("dispatcher.publish_cancelled"));
    message(t("dispatcher.published", { v: state.plan.version }));
    const id = state.plan.id;
    await loadDay();
    await loadPlan(id);
  } catch (err) {
    fail(err);
  }
});

// ------------------------------------------------------------------ live view
async function loadLive() {
  try {
    state.live = await call(`/api/live/${officeId()}/${day()}`);
  } catch (err) {
    return fail(err);
  }
  const data = state.live;
  $("live-updated").textContent = t("dispatcher.live_refresh", { time: fmtTime(new Date()) });
  if (!state.liveMap) state.liveMap = makeMap($("live-map"));
  if (state.liveLayer) state.liveLayer.remove();
  state.liveLayer = L.layerGroup().addTo(state.liveMap);
  const points = [];
  const lateIds = new Set((data.late_risk || []).map((x) => String(typeof x === "object" ? x.stop_id ?? x.job_id : x)));
  const routes = data.routes || [];
  const rows = [];
  const colourOf = {};
  routes.forEach((route, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const c = courierOf(route);
    colourOf[c.id] = colour;
    const line = [];
    jobStops(route).forEach((s, i) => {
      const late = s.late_risk || lateIds.has(String(s.stop_id)) || lateIds.has(String(s.job_id));
      if (Number.isFinite(s.lat)) {
        line.push([s.lat, s.lon]);
        points.push([s.lat, s.lon]);
        const cls = [s.status === "done" ? "done" : "", s.status === "failed" ? "failed" : "", late ? "late" : ""].join(" ");
        const status = `${t(`courier.stop_status.${s.status || "planned"}`)}${late ? ` · ${t("dispatcher.late_risk")}` : ""}`;
        L.marker([s.lat, s.lon], { icon: numberIcon(i + 1, colour, cls), title: s.applicant_name || "" })
          .bindTooltip(textTooltip([`${c.name} · ${t("map.stop", { n: i + 1 })}`, s.applicant_name || s.tracking_code, fmtWindow(s.window_start, s.window_end), `${t("map.eta")} ${fmtTime(s.eta || s.planned_arrival)}`, status]))
          .addTo(state.liveLayer);
      }
      rows.push(el("tr", { class: late ? "late-risk" : "", "data-stop-status": s.status }, el("td", { text: c.name }), el("td", { text: String(i + 1) }), el("td", { text: s.applicant_name || s.tracking_code || `#${s.job_id}` }), el("td", { text: fmtWindow(s.window_start, s.window_end) }), el("td", { text: fmtTime(s.eta || s.planned_arrival) }), el("td", { text: `${t(`courier.stop_status.${s.status || "planned"}`)}${late ? ` · ${t("dispatcher.late_risk")}` : ""}` })));
    });
    const road = Array.isArray(route.geometry) && route.geometry.length > 1 ? route.geometry : line;
    if (road.length > 1) L.polyline(road, { color: colour, weight: 3, opacity: 0.7 }).addTo(state.liveLayer);
  });
  for (const p of data.positions || data.couriers || []) {
    if (!Number.isFinite(p.lat)) continue;
    points.push([p.lat, p.lon]);
    const label = `${p.courier_name || p.name || ""} ${t("dispatcher.position_age", { time: fmtTime(p.at || p.updated_at) })}`;
    L.marker([p.lat, p.lon], { icon: dotIcon(colourOf[p.courier_id] || "#222"), title: label }).bindTooltip(textTooltip([t("map.position"), label])).addTo(state.liveLayer);
  }
  $("live-body").replaceChildren(...rows);
  state.liveMap.invalidateSize();
  fitTo(state.liveMap, points);
}

// ------------------------------------------------------------------ start
$("board-controls").addEventListener("submit", (ev) => {
  ev.preventDefault();
  loadDay();
});

async function startBoard() {
  show("board");
  try {
    state.offices = await call("/api/offices");
  } catch (err) {
    state.offices = [];
    fail(err);
  }
  const select = $("office");
  select.replaceChildren(...state.offices.map((o) => el("option", { value: o.id, text: o.name })));
  const params = new URLSearchParams(location.search);
  const wanted = params.get("office") || (state.auth && state.auth.office_id);
  if (wanted && ![...select.options].some((o) => o.value === String(wanted))) {
    select.append(el("option", { value: wanted, text: `#${wanted}` }));
  }
  if (wanted) select.value = String(wanted);
  $("day").value = params.get("date") || config.today || todayWIB();
  if (select.value) await loadDay();
  selectTab(params.get("tab") || "jobs");
  document.body.dataset.ready = "1";
}

if (token()) startBoard();
else {
  show("login");
  document.body.dataset.ready = "1";
}
