// Printable route sheet for one courier of one plan (A4 landscape via print CSS): a paper backup a courier can
// work from with a dead phone — who, where (RT/RW, access notes), phone, what to collect or hand over, each
// office visit with every document to drop and to load, breaks, and how full the box is after each stop.
import { el } from "./dom.js";
import { api, loadAuth } from "./api.js";
import { config, errorText, fmtDay, fmtNumber, fmtTime, fmtWindow, t } from "./i18n.js";
import { jobName } from "./joblabel.js";
import { allStops, courierOf, jobStops } from "./plandata.js";

const $ = (id) => document.getElementById(id);
const auth = loadAuth("staff");
const OFFICE_KINDS = new Set(["office_drop", "office_load"]);
const SVG = "http://www.w3.org/2000/svg";

function cell(content, cls = "") {
  const td = el("td", { class: cls });
  for (const c of [].concat(content)) if (c !== null && c !== undefined && c !== "") td.append(c);
  return td;
}

function documents(job) {
  if (!job) return "";
  return (job.documents && job.documents.length ? job.documents : [String(job.documents_count || "")]).join(", ");
}

/** Consecutive office stops are one visit: one row listing each document to drop and to load. */
function visits(route) {
  const out = [];
  for (const s of allStops(route)) {
    const last = out[out.length - 1];
    if (OFFICE_KINDS.has(s.kind) && last && last.office) last.stops.push(s);
    else out.push({ office: OFFICE_KINDS.has(s.kind), stops: [s] });
  }
  return out;
}

function loadCell(stop, capacity) {
  const n = stop.load_docs ?? 0;
  return cell(capacity ? t("print.load_of", { n: fmtNumber(n), cap: fmtNumber(capacity) }) : fmtNumber(n), "load");
}

function homeRow(seq, s) {
  const job = s.job || {};
  const action = { pickup: "collect", delivery: "hand_over" }[s.kind];
  return [
    cell(String(seq)),
    cell([fmtWindow(job.window_start || s.window_start, job.window_end || s.window_end), el("br"), `${t("courier.eta")} ${fmtTime(s.eta || s.planned_arrival)}`]),
    cell(t(`courier.action.${action}`)),
    cell([el("strong", { text: jobName(job) }), el("br"), el("span", { class: "phone", "data-testid": "sheet-phone", text: job.phone || "" }), el("br"), el("small", { text: [job.application_number, job.tracking_code].filter(Boolean).join(" · ") })]),
    cell([job.address || "", el("br"), [job.rt_rw ? `${t("courier.rt_rw")} ${job.rt_rw}` : "", job.kelurahan].filter(Boolean).join(" · "), job.access_notes ? el("br") : null, job.access_notes ? el("em", { text: `${t("courier.access_notes")}: ${job.access_notes}` }) : null]),
    cell(documents(job)),
  ];
}

function officeRow(seq, visit, office) {
  const list = el("ul", { class: "office-list", "data-testid": "office-visit" });
  for (const s of visit.stops) {
    const job = s.job || {};
    const verb = s.kind === "office_drop" ? t("print.drop") : t("print.load");
    list.append(el("li", { "data-kind": s.kind }, el("strong", { text: `${verb}: ` }), `${documents(job)} — ${jobName(job)} (${[job.application_number, job.tracking_code].filter(Boolean).join(" · ")})`, el("span", { class: "tick", text: " ☐" })));
  }
  const first = visit.stops[0];
  return [
    cell(String(seq)),
    cell(fmtTime(first.eta || first.planned_arrival)),
    cell(t("print.office_visit")),
    cell(list),
    cell(office ? office.name : ""),
    cell(""),
  ];
}

function breakRow(s) {
  const minutes = Math.round((s.service_s || 0) / 60);
  return [cell(""), cell(fmtWindow(s.planned_start, new Date(new Date(s.planned_start).getTime() + (s.service_s || 0) * 1000))), cell(el("strong", { text: t("print.break", { n: minutes }) })), cell(""), cell(""), cell("")];
}

/** A small map of the route (no tiles, no network): stops numbered in order, the office as a square. */
function routeMap(route, office) {
  const pts = allStops(route).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
  if (pts.length < 2) return null;
  const lats = pts.map((p) => p.lat);
  const lons = pts.map((p) => p.lon);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const W = 360;
  const H = 260;
  const pad = 18;
  const kx = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const spanX = Math.max((maxLon - minLon) * kx, 1e-4);
  const spanY = Math.max(maxLat - minLat, 1e-4);
  const scale = Math.min((W - 2 * pad) / spanX, (H - 2 * pad) / spanY);
  const x = (lon) => pad + (lon - minLon) * kx * scale;
  const y = (lat) => H - pad - (lat - minLat) * scale;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "sheet-map");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("print.map"));
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", pts.map((p) => `${x(p.lon).toFixed(1)},${y(p.lat).toFixed(1)}`).join(" "));
  line.setAttribute("class", "sheet-map-line");
  svg.append(line);
  let n = 0;
  for (const p of pts) {
    const home = p.kind === "pickup" || p.kind === "delivery";
    if (home) n += 1;
    if (!home && p !== pts[0]) continue;
    const g = document.createElementNS(SVG, "g");
    const mark = document.createElementNS(SVG, home ? "circle" : "rect");
    if (home) {
      mark.setAttribute("cx", x(p.lon).toFixed(1));
      mark.setAttribute("cy", y(p.lat).toFixed(1));
      mark.setAttribute("r", "8");
    } else {
      mark.setAttribute("x", (x(p.lon) - 8).toFixed(1));
      mark.setAttribute("y", (y(p.lat) - 8).toFixed(1));
      mark.setAttribute("width", "16");
      mark.setAttribute("height", "16");
    }
    mark.setAttribute("class", home ? "sheet-map-stop" : "sheet-map-office");
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", x(p.lon).toFixed(1));
    label.setAttribute("y", (y(p.lat) + 4).toFixed(1));
    label.setAttribute("class", "sheet-map-label");
    label.textContent = home ? String(n) : "K";
    g.append(mark, label);
    svg.append(g);
  }
  const caption = el("figcaption", { class: "muted", text: office ? t("print.map_caption", { office: office.name }) : "" });
  return el("figure", { class: "sheet-figure" }, svg, caption);
}

async function load() {
  try {
    const plan = await api(`/api/plans/${config.plan_id}`, { token: auth && auth.access_token });
    const route = (plan.routes || []).find((r) => String(courierOf(r).id) === String(config.courier_id));
    if (!route) throw new Error("no route");
    const courier = courierOf(route);
    const stops = jobStops(route);
    let capacity = null;
    try {
      const day = await api(`/api/offices/${plan.office.id}/days/${plan.date}`, { token: auth && auth.access_token });
      const mine = (day.couriers || []).find((c) => String((c.courier || c).id) === String(courier.id));
      capacity = mine ? mine.capacity_docs : null;
    } catch {
      /* the sheet still shows the load, without the box's size */
    }
    $("sheet-title").textContent = `${t("print.title")} — ${courier.name}`;
    $("sheet-meta").textContent = [
      plan.date ? fmtDay(plan.date) : "",
      t("dispatcher.plan_version", { v: plan.version, status: t(`dispatcher.plan_status.${plan.status}`) }),
      t("print.total", { stops: stops.length, km: fmtNumber((route.distance_m || 0) / 1000, 1) }),
      route.start_at ? `${fmtWindow(route.start_at, route.end_at)} WIB` : "",
      plan.office ? plan.office.name : "",
    ].filter(Boolean).join(" · ");
    const rows = [];
    let seq = 0;
    for (const visit of visits(route)) {
      const s = visit.stops[0];
      let cells;
      if (visit.office) cells = officeRow(++seq, visit, plan.office);
      else if (s.kind === "break") cells = breakRow(s);
      else if (s.kind === "pickup" || s.kind === "delivery") cells = homeRow(++seq, s);
      else continue; // start and end: the header says where and when
      const last = visit.stops[visit.stops.length - 1];
      rows.push(el("tr", { "data-kind": visit.office ? "office" : s.kind }, ...cells, loadCell(last, capacity), cell("", "sign")));
    }
    $("sheet-body").replaceChildren(...rows);
    const map = routeMap(route, plan.office);
    if (map) $("sheet-map").replaceChildren(map);
  } catch (err) {
    $("sheet-error").textContent = errorText(err);
    $("sheet-error").hidden = false;
  }
  document.body.dataset.ready = "1";
}

$("print-btn").addEventListener("click", () => window.print());
load();
