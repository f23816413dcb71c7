// Dispatcher board: the day's jobs and couriers, plan (background solve with progress), map, timeline, KPIs,
// edits (move / unassign / lock), publish, mid-day re-plan and a live view.
import { el } from "./dom.js";
import { api, ApiError, loadAuth, login, saveAuth } from "./api.js";
import { config, errorText, fmtKm, fmtNumber, fmtTime, fmtWindow, lang, t, todayWIB } from "./i18n.js";
import { COLOURS, dotIcon, fitTo, makeMap, numberIcon, textTooltip } from "./leafmap.js";
import { allStops, courierOf, jobStops, kpiValues, ms, slackMinutes } from "./plandata.js";
import { PlanMap } from "./planmap.js";
import { jobCell, jobMatches, jobName, jobWindow } from "./joblabel.js";
import { isEmpty, planDiff } from "./plandiff.js";

const $ = (id) => document.getElementById(id);
const state = { auth: loadAuth("staff"), offices: [], day: null, plan: null, published: null, tab: "jobs", live: null, liveTimer: null, unavailable: new Set(), query: "", filter: "" };

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
for (const b of document.querySelectorAll("[data-tab]")) {
  b.addEventListener("click", () => {
    state.tabChosen = true; // the board's start-up no longer picks the tab for the dispatcher
    selectTab(b.dataset.tab);
  });
}

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
  const mine = (state.asked = (state.asked || 0) + 1); // another date picked meanwhile: only the latest is shown
  let found;
  try {
    found = await call(`/api/offices/${officeId()}/days/${day()}`);
  } catch (err) {
    if (mine !== state.asked) return;
    state.day = null;
    renderDay();
    return fail(err);
  }
  if (mine !== state.asked) return;
  state.day = found;
  renderDay();
  renderTravel();
  const plans = state.day.plans || [];
  state.published = plans.find((p) => p.status === "published") || null;
  const latest = [...plans].sort((a, b) => b.version - a.version)[0];
  renderVersions(plans);
  if (latest) await loadPlan(latest.id);
  else {
    state.plan = null; // a day without a plan shows none, not the previous day's
    renderPlan(null);
  }
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
  renderClosed();
}

// The office is closed that day (Sunday, holiday, cuti bersama, its own closure): planning stays possible
// (bookings made before a closure stay), but the dispatcher must see it before sending couriers out.
function renderClosed() {
  const box = $("closed-warning");
  const closed = state.day && state.day.closed;
  box.textContent = closed ? t("dispatcher.day_closed", { reason: closed.reason }) : "";
  box.hidden = !closed;
}

function renderDay() {
  const jobs = (state.day && state.day.jobs) || [];
  const couriers = (state.day && state.day.couriers) || [];
  $("day-summary").textContent = t("dispatcher.jobs_count", { n: fmtNumber(jobs.length) });
  const skills = [...new Set(couriers.flatMap((row) => row.skills || []))].sort();
  $("jobs-body").replaceChildren(
    ...jobs.map((j) =>
      el(
        "tr",
        { "data-job-id": j.job_id, "data-status": j.status, class: "job-row" },
        jobCell(j),
        el("td", { text: t(`kind.${j.kind}`) }),
        el("td", {}, el("strong", { text: j.kelurahan || "" }), el("br"), el("small", { text: [j.address, j.rt_rw ? `${t("courier.rt_rw")} ${j.rt_rw}` : ""].filter(Boolean).join(" · ") })),
        el("td", { text: jobWindow(j) }),
        el("td", {}, t(`status.${j.status}`), el("br"), el("small", { class: "muted", "data-testid": "job-courier", text: planCourier(j.job_id) })),
        el("td", {}, needsControls(j, skills))
      )
    )
  );
  applyFilter();
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

// ------------------------------------------------------------------ search, filter, urgency
const jobById = (id) => ((state.day && state.day.jobs) || []).find((j) => String(j.job_id) === String(id)) || null;

/** Show only the rows (in every list of the board) whose job the search text finds and the filter keeps. */
function applyFilter() {
  const q = state.query;
  const f = state.filter;
  for (const row of document.querySelectorAll("#view-board [data-job-id]")) {
    const job = jobById(row.dataset.jobId) || (state.plan ? planJob(state.plan, row.dataset.jobId) : null);
    let keep = jobMatches(job, q);
    if (keep && f === "urgent") keep = Boolean(job && job.priority > 0);
    if (keep && f === "open") keep = Boolean(job && ["booked", "planned"].includes(job.status));
    if (keep && f === "late") keep = row.classList.contains("late-risk");
    if (keep && f === "unassigned") keep = Boolean(job && !onPlan().has(String(job.job_id)));
    row.hidden = !keep;
  }
}

/** Whose route the job is on in the plan shown (or that it is on none), under its status in the jobs table. */
function planCourier(jobId) {
  if (!state.plan) return "";
  const route = (state.plan.routes || []).find((r) => (r.stops || []).some((s) => String(s.job_id) === String(jobId)));
  return route ? courierOf(route).name : t("dispatcher.not_on_route");
}

function onPlan() {
  return new Set(((state.plan && state.plan.routes) || []).flatMap((r) => (r.stops || []).map((s) => String(s.job_id))));
}

$("search").addEventListener("input", (e) => {
  state.query = e.target.value;
  applyFilter();
});
$("filter").addEventListener("change", (e) => {
  state.filter = e.target.value;
  applyFilter();
});

/** Mark a job urgent (the optimiser drops it last) or needing a courier skill (only such couriers get it). */
function needsControls(job, skills) {
  const id = `urg-${job.job_id}`;
  const urgent = el("input", { type: "checkbox", id, "data-testid": "urgent-box" });
  urgent.checked = job.priority > 0;
  const skill = el("select", { "aria-label": t("dispatcher.skill_label"), "data-testid": "skill-select" },
    el("option", { value: "", text: t("dispatcher.no_skill") }),
    ...[...new Set([...skills, ...(job.skills || [])])].map((s) => el("option", { value: s, text: s })));
  skill.value = (job.skills || [])[0] || "";
  const editable = ["booked", "planned", "awaiting_booking"].includes(job.status);
  urgent.disabled = skill.disabled = !editable;
  const save = async () => {
    try {
      const out = await call(`/api/jobs/${job.job_id}/needs`, { method: "PATCH", json: { priority: urgent.checked ? 100 : 0, skills: skill.value ? [skill.value] : [] } });
      Object.assign(job, { priority: out.priority, skills: out.skills });
      message(t("dispatcher.needs_saved", { name: jobName(job) }));
      renderDay();
    } catch (err) {
      fail(err);
    }
  };
  urgent.addEventListener("change", save);
  skill.addEventListener("change", save);
  return el("span", { class: "row needs" }, el("label", { class: "check", for: id }, urgent, t("dispatcher.urgent")), skill);
}

// ------------------------------------------------------------------ CSV import
/** A refused row's reason in the page's language (the server sends both). */
function rowMessage(e) {
  return (lang === "id" ? e.message_id : e.message) || e.message || e.error || "";
}

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
    const created = result.created || [];
    out.append(el("p", { class: "notice", "data-testid": "import-summary", text: t("dispatcher.import_done", { n: fmtNumber(created.length) }) }));
    await loadDay();
  } catch (err) {
    out.append(el("p", { class: "error", text: errorText(err) }));
    const rows = err.body?.error?.details?.errors || []; // all or nothing: the rows to fix before sending again
    const list = el("ul", { class: "import-errors", "data-testid": "import-errors" });
    for (const e of rows) list.append(el("li", { text: t("dispatcher.import_row", { row: e.row, error: rowMessage(e) }) }));
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
  // the latest request wins: a slower answer asked earlier (e.g. the publish flow's reload while the
  // dispatcher already moved a job) must not draw an older version over the one asked for last
  const mine = (state.planAsked = (state.planAsked || 0) + 1);
  let found;
  try {
    found = await call(`/api/plans/${id}`);
  } catch (err) {
    if (mine !== state.planAsked) return;
    return fail(err);
  }
  if (mine !== state.planAsked) return;
  state.plan = found;
  $("plan-version").value = String(state.plan.id);
  renderPlan(state.plan);
  renderTravel();
}

function renderPlan(plan) {
  renderDay(); // the jobs table says whose route each job is on in this plan
  $("publish-btn").disabled = !plan || plan.status !== "draft";
  $("plan-title").textContent = plan ? t("dispatcher.plan_version", { v: plan.version, status: t(`dispatcher.plan_status.${plan.status}`) }) : t("dispatcher.no_plan");
  $("plan-title").dataset.status = plan ? plan.status : "";
  if (!plan) {
    $("kpis").replaceChildren();
    $("route-tables").replaceChildren();
    $("unassigned").replaceChildren();
    $("unassigned-box").hidden = true;
    $("gantt").replaceChildren();
    if (state.planMap) state.planMap.clear();
    return;
  }
  renderKpis(plan);
  renderRoutes(plan);
  renderGantt(plan);
  drawPlanMap(plan);
  applyFilter();
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

/** Every courier working that day, with or without a route yet (work can go to an idle courier). */
function dayCouriers(plan) {
  const seen = new Map();
  for (const r of plan.routes || []) seen.set(String(courierOf(r).id), courierOf(r));
  for (const row of (state.day && state.day.couriers) || []) {
    const c = row.courier || row;
    if (row.available !== false && !seen.has(String(c.id))) seen.set(String(c.id), { id: c.id, name: c.name, code: c.code });
  }
  return [...seen.values()];
}

function courierOptions(plan, current) {
  const opts = [el("option", { value: "", text: t("dispatcher.unassign") })];
  for (const c of dayCouriers(plan)) {
    const o = el("option", { value: c.id, text: c.name });
    if (String(c.id) === String(current)) o.selected = true;
    opts.push(o);
  }
  return opts;
}

function moveControls(plan, jobId, currentCourier, locked) {
  const editable = plan.status === "draft" || plan.status === "published";
  const id = `mv-${jobId}`;
  const select = el("select", { id, "aria-label": t("dispatcher.move_to"), "data-testid": "move-select" }, ...courierOptions(plan, currentCourier));
  const lock = el("input", { type: "checkbox", id: `lk-${jobId}`, "data-testid": "lock-box" });
  lock.checked = Boolean(locked);
  const button = el("button", { class: "btn", type: "button", "data-testid": "move-btn", text: t("dispatcher.move") });
  button.disabled = !editable;
  button.addEventListener("click", () => move(plan, jobId, select.value ? Number(select.value) : null, lock.checked));
  return el("span", { class: "row" }, select, el("label", { class: "check", for: `lk-${jobId}` }, lock, t("dispatcher.lock")), button);
}

const courierName = (plan, id) => (dayCouriers(plan).find((c) => String(c.id) === String(id)) || { name: "" }).name;

function planJob(plan, jobId) {
  for (const r of plan.routes || []) for (const s of r.stops || []) if (String(s.job_id) === String(jobId) && s.job) return s.job;
  const u = (plan.unassigned || []).find((x) => String(x.job_id) === String(jobId));
  return (u && u.job) || jobById(jobId);
}

/** What a move changed, in the dispatcher's words: km, late visits and broken rules, before → after. */
function moveSummary(before, after, jobId, courierId) {
  const k0 = before.kpis || {};
  const k1 = after.kpis || {};
  const km0 = Number(k0.distance_km || 0);
  const km1 = Number(k1.distance_km || 0);
  const d = km1 - km0;
  const where = courierId ? t("dispatcher.moved_to", { courier: courierName(after, courierId) }) : t("dispatcher.moved_off");
  return [
    `${jobName(planJob(after, jobId))} ${where}.`,
    t("dispatcher.moved_km", { km: fmtKm(km1), delta: `${d >= 0 ? "+" : "−"}${fmtKm(Math.abs(d))}` }),
    t("dispatcher.moved_late", { before: fmtNumber(k0.late_stops || 0), after: fmtNumber(k1.late_stops || 0) }),
    t("dispatcher.moved_violations", { n: fmtNumber((k1.violations || []).length) }),
    t("dispatcher.moved", { v: after.version ?? "" }),
  ].join(" ");
}

async function move(plan, jobId, courierId, locked) {
  const body = { job_id: Number(jobId), courier_id: courierId, lock: locked };
  let result;
  try {
    result = await call(`/api/plans/${plan.id}/moves`, { method: "POST", json: body });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "move_infeasible") return fail(err);
    // the move breaks a rule: name the job, the courier and the rules, and let the dispatcher decide
    const rules = (err.body.error.details.rules || []).map((r) => (t(`rule.${r}`).startsWith("rule.") ? r : t(`rule.${r}`)));
    const text = t("dispatcher.move_breaks", { name: jobName(planJob(plan, jobId)), courier: courierName(plan, courierId), rules: rules.join(", ") });
    if (!window.confirm(text)) return message(t("dispatcher.move_cancelled"));
    try {
      result = await call(`/api/plans/${plan.id}/moves`, { method: "POST", json: { ...body, force: true } });
    } catch (err2) {
      return fail(err2);
    }
  }
  const summary = moveSummary(plan, result, jobId, courierId);
  await loadDay();
  if (result.id) await loadPlan(result.id);
  message(summary);
  const row = document.querySelector(`#route-tables tr[data-job-id="${jobId}"], #unassigned [data-job-id="${jobId}"]`);
  if (row) {
    row.classList.add("just-moved");
    // "nearest": no scroll when the row is already on screen, else the least that brings it there; centring it
    // moved the page under the pointer of a dispatcher about to click the next thing
    row.scrollIntoView({ block: "nearest" });
  }
}

// Drag a job row onto another courier's route (or an idle courier, or "unassigned"); the "move to" select
// beside each row does the same from the keyboard.
function draggableRow(row, plan, jobId) {
  const editable = plan.status === "draft" || plan.status === "published";
  if (!editable) return row;
  row.draggable = true;
  row.addEventListener("dragstart", (ev) => {
    ev.dataTransfer.setData("text/plain", String(jobId));
    ev.dataTransfer.effectAllowed = "move";
    row.classList.add("dragging");
  });
  row.addEventListener("dragend", () => row.classList.remove("dragging"));
  return row;
}

function dropZone(box, planOf, courierId) {
  box.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    box.classList.add("drop-target");
  });
  box.addEventListener("dragleave", () => box.classList.remove("drop-target"));
  box.addEventListener("drop", (ev) => {
    ev.preventDefault();
    box.classList.remove("drop-target");
    const jobId = ev.dataTransfer.getData("text/plain");
    if (jobId && planOf()) move(planOf(), jobId, courierId, false);
  });
  return box;
}

function routeHead(plan, c, colour, text, printable) {
  return el(
    "h3",
    { class: "row" },
    el("span", { class: "swatch", style: `background:${colour}` }),
    `${c.name} — ${text}`,
    printable ? el("a", { class: "btn", href: `/dispatcher/print/${plan.id}/${c.id}`, target: "_blank", "data-testid": "print-link", text: t("dispatcher.print") }) : null
  );
}

const ROUTE_COLUMNS = ["col.seq", "col.applicant", "col.window", "col.eta", "col.actions"];

function renderRoutes(plan) {
  const box = $("route-tables");
  box.replaceChildren();
  const withRoute = new Set();
  (plan.routes || []).forEach((route, index) => {
    const c = courierOf(route);
    withRoute.add(String(c.id));
    const stops = jobStops(route);
    const head = routeHead(plan, c, COLOURS[index % COLOURS.length], t("print.total", { stops: stops.length, km: fmtNumber((route.distance_m || 0) / 1000, 1) }), true);
    const rows = stops.map((s, i) => {
      const slack = slackMinutes(s);
      const job = s.job || { applicant_name: s.applicant_name, tracking_code: s.tracking_code };
      const row = el(
        "tr",
        { "data-job-id": s.job_id, class: slack !== null && slack < 0 ? "late-risk" : "" },
        el("td", { text: String(i + 1) }),
        jobCell(job),
        el("td", { text: jobWindow(job) || fmtWindow(s.window_start, s.window_end) }),
        el("td", { class: slack !== null && slack < 0 ? "late" : "", text: `${fmtTime(s.eta || s.planned_arrival)}${slack !== null ? ` (${slack < 0 ? t("dispatcher.late_by", { n: -slack }) : t("dispatcher.slack", { n: slack })})` : ""}` }),
        el("td", {}, moveControls(plan, s.job_id, c.id, s.locked))
      );
      return draggableRow(row, plan, s.job_id);
    });
    box.append(
      dropZone(el("section", { class: "card route-card", "data-courier-id": c.id, "data-testid": "route-table" }, head,
        el("div", { class: "table-scroll" },
          el("table", { class: "grid route-table" },
            el("thead", {}, el("tr", {}, ...ROUTE_COLUMNS.map((k) => el("th", { text: t(`dispatcher.${k}`) })))),
            el("tbody", {}, ...rows)))), () => plan, c.id)
    );
  });
  // couriers on shift with nothing yet, first: a place to give them work
  dayCouriers(plan).filter((c) => !withRoute.has(String(c.id))).reverse().forEach((c) => {
    box.prepend(
      dropZone(el("section", { class: "card route-card idle", "data-courier-id": c.id, "data-testid": "idle-courier" },
        routeHead(plan, c, "#999", t("dispatcher.idle"), false),
        el("p", { class: "muted drop-hint", text: t("dispatcher.drop_here") })), () => plan, c.id)
    );
  });
  const un = $("unassigned");
  const unassigned = plan.unassigned || [];
  un.replaceChildren(
    ...unassigned.map((u) => {
      const reason = t(`reason.${u.reason}`);
      const job = u.job || { applicant_name: u.applicant_name, tracking_code: u.tracking_code };
      const item = el("li", { "data-job-id": u.job_id },
        el("strong", { text: jobName(job) }), ` ${jobWindow(job)} — ${reason.startsWith("reason.") ? t("reason.unknown") : reason} `,
        el("br"), el("small", { class: "muted", text: [job.application_number, job.kelurahan, job.tracking_code].filter(Boolean).join(" · ") }),
        el("br"), moveControls(plan, u.job_id, null, false));
      return draggableRow(item, plan, u.job_id);
    })
  );
  $("unassigned-box").hidden = !unassigned.length;
  $("unassigned-count").textContent = fmtNumber(unassigned.length);
}

dropZone($("unassigned-box"), () => state.plan, null);

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
        const label = s.kind === "break" ? t("dispatcher.legend.break") : `${OFFICE_ACTION[s.kind] ? `${t(`courier.action.${OFFICE_ACTION[s.kind]}`)}: ` : ""}${jobName(s.job || s)} ${fmtTime(start)}${slack !== null ? ` · ${slack < 0 ? t("dispatcher.late_by", { n: -slack }) : t("dispatcher.slack", { n: slack })}` : ""}`;
        track.append(el("div", { class: cls, style: `left:${pct(start)};width:${width(start, end)};--c:${colour}`, title: label, "data-testid": "gantt-seg" }));
      }
      if (end !== null) prev = end;
    }
    box.append(el("div", { class: "gantt-row", "data-courier-id": c.id }, el("div", { class: "gantt-name" }, el("span", { class: "swatch", style: `background:${colour}` }), c.name), track));
  });
}

const OFFICE_ACTION = { office_drop: "drop_at_office", office_load: "load_at_office" };

function JOB_WINDOW(s) {
  return s.window_start && s.window_end && s.kind !== "break";
}

// A draft the verifier failed is refused (409 plan_unverified): show what it breaks, publish only on confirmation.
function violationLines(violations) {
  return violations.map((v) => {
    const rule = t(`rule.${v.rule}`);
    const plan = state.plan || {};
    const where = [v.courier_id ? courierName(plan, v.courier_id) : null, v.job_id ? jobName(planJob(plan, v.job_id)) : null].filter(Boolean).join(", ");
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

function diffSection(title, items, line) {
  if (!items.length) return null;
  return el("section", { class: "diff-part" }, el("h3", { text: `${title} (${fmtNumber(items.length)})` }), el("ul", {}, ...items.map((d) => el("li", { text: line(d) }))));
}

/** Ask before publishing, showing what changes for the couriers against the plan they work from. */
async function confirmPublish(plan) {
  let published = null;
  if (state.published && state.published.id !== plan.id) {
    try {
      published = await call(`/api/plans/${state.published.id}`);
    } catch {
      published = null;
    }
  }
  const diff = planDiff(published, plan);
  const box = $("publish-diff");
  const shift = (d) => `${d.minutes > 0 ? "+" : "−"}${fmtNumber(Math.abs(d.minutes))} ${t("dispatcher.minutes")}`;
  const parts = [
    el("p", { text: published ? t("dispatcher.diff_against", { v: published.version }) : t("dispatcher.diff_first") }),
    ...(isEmpty(diff) && published ? [el("p", { text: t("dispatcher.diff_none") })] : []),
    diffSection(t("dispatcher.diff_added"), diff.added, (d) => `${jobName(d.job)} · ${jobWindow(d.job)} → ${d.to.name}`),
    diffSection(t("dispatcher.diff_removed"), diff.removed, (d) => `${jobName(d.job)} · ${jobWindow(d.job)} (${d.from.name})`),
    diffSection(t("dispatcher.diff_moved"), diff.moved, (d) => `${jobName(d.job)}: ${d.from.name} → ${d.to.name}`),
    diffSection(t("dispatcher.diff_shifted"), diff.shifted, (d) => `${jobName(d.job)} (${d.to.name}): ${fmtTime(d.from_time)} → ${fmtTime(d.to_time)} (${shift(d)})`),
  ];
  box.replaceChildren(...parts.filter(Boolean)); // replaceChildren would write an empty section as "null"
  const dialog = $("publish-dialog");
  return new Promise((resolve) => {
    const done = (ok) => {
      dialog.close();
      $("publish-confirm").removeEventListener("click", yes);
      $("publish-cancel").removeEventListener("click", no);
      dialog.removeEventListener("cancel", no);
      resolve(ok);
    };
    const yes = () => done(true);
    const no = () => done(false);
    $("publish-confirm").addEventListener("click", yes);
    $("publish-cancel").addEventListener("click", no);
    dialog.addEventListener("cancel", no);
    dialog.showModal();
  });
}

$("publish-btn").addEventListener("click", async () => {
  if (!state.plan) return;
  try {
    if (!(await confirmPublish(state.plan))) return message(t("dispatcher.publish_cancelled"));
    if (!(await publishPlan(state.plan))) return message(t("dispatcher.publish_cancelled"));
    message(t("dispatcher.published", { v: state.plan.version }));
    await loadDay(); // shows the latest version: the one just published
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
        L.marker([s.lat, s.lon], { icon: numberIcon(i + 1, colour, cls), title: jobName(s.job) })
          .bindTooltip(textTooltip([`${c.name} · ${t("map.stop", { n: i + 1 })}`, jobName(s.job), fmtWindow(s.window_start, s.window_end), `${t("map.eta")} ${fmtTime(s.eta || s.planned_arrival)}`, status]))
          .addTo(state.liveLayer);
      }
      rows.push(el("tr", { class: late ? "late-risk" : "", "data-stop-status": s.status, "data-job-id": s.job_id }, el("td", { text: c.name }), el("td", { text: String(i + 1) }), jobCell(s.job), el("td", { text: jobWindow(s.job) || fmtWindow(s.window_start, s.window_end) }), el("td", { text: fmtTime(s.eta || s.planned_arrival) }), el("td", { text: `${t(`courier.stop_status.${s.status || "planned"}`)}${late ? ` · ${t("dispatcher.late_risk")}` : ""}` })));
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
  applyFilter();
  state.liveMap.invalidateSize();
  fitTo(state.liveMap, points);
}

// ------------------------------------------------------------------ start
$("board-controls").addEventListener("submit", (ev) => {
  ev.preventDefault();
  loadDay();
});
// another day or office: show it at once (not the previous day's "0 pekerjaan" until "Tampilkan")
for (const id of ["day", "office"]) {
  $(id).addEventListener("change", async () => {
    if (!$("day").value || !officeId()) return;
    await loadDay();
    if (state.tab === "live") loadLive();
  });
}

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
  // a tab the dispatcher clicked while the board was starting is not taken away
  if (!state.tabChosen) selectTab(params.get("tab") || "jobs");
  if (select.value) await loadDay();
  document.body.dataset.ready = "1";
}

if (token()) startBoard();
else {
  show("login");
  document.body.dataset.ready = "1";
}
