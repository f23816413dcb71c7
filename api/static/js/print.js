// Printable route sheet for one courier of one plan (A4 landscape via print CSS).
import { api, loadAuth } from "./api.js";
import { config, errorText, fmtDay, fmtNumber, fmtTime, fmtWindow, t } from "./i18n.js";
import { courierOf, jobStops } from "./plandata.js";

const $ = (id) => document.getElementById(id);
const auth = loadAuth("staff");

function cell(text, cls = "") {
  const td = document.createElement("td");
  td.textContent = text || "";
  if (cls) td.className = cls;
  return td;
}

function docs(stop) {
  const d = stop.documents || [];
  if (Array.isArray(d) && !d.length) return "";
  return Array.isArray(d) ? d.map((x) => (typeof x === "string" ? x : `${x.name}${x.copies > 1 ? ` ×${x.copies}` : ""}`)).join(", ") : String(d);
}

async function load() {
  try {
    const plan = await api(`/api/plans/${config.plan_id}`, { token: auth && auth.access_token });
    const route = (plan.routes || []).find((r) => String(courierOf(r).id) === String(config.courier_id));
    if (!route) throw new Error("no route");
    const courier = courierOf(route);
    const stops = jobStops(route);
    // addresses live on the day's jobs (the plan carries positions and times only)
    const jobs = {};
    try {
      const day = await api(`/api/offices/${plan.office.id}/days/${plan.date}`, { token: auth && auth.access_token });
      for (const j of day.jobs || []) jobs[j.job_id] = j;
    } catch {
      /* the sheet still lists order and times */
    }
    $("sheet-title").textContent = `${t("print.title")} — ${courier.name}`;
    $("sheet-meta").textContent = [
      plan.date || plan.service_date ? fmtDay(plan.date || plan.service_date) : "",
      t("dispatcher.plan_version", { v: plan.version, status: t(`dispatcher.plan_status.${plan.status}`) }),
      t("print.total", { stops: stops.length, km: fmtNumber((route.distance_m || 0) / 1000, 1) }),
      route.start_at ? fmtWindow(route.start_at, route.end_at) : "",
    ].filter(Boolean).join(" · ");
    $("sheet-body").replaceChildren(
      ...stops.map((s, i) => {
        const tr = document.createElement("tr");
        const action = s.action || { pickup: "collect", delivery: "hand_over" }[s.kind] || "collect";
        tr.append(
          cell(String(i + 1)),
          cell(`${fmtWindow(s.window_start, s.window_end)} / ${fmtTime(s.eta || s.planned_arrival)}`),
          cell(t(`courier.action.${action}`)),
          cell([s.applicant_name, s.phone, s.tracking_code].filter(Boolean).join(" · ")),
          cell([s.address || (jobs[s.job_id] || {}).address, s.rt_rw ? `${t("courier.rt_rw")} ${s.rt_rw}` : "", s.access_notes].filter(Boolean).join(" · ")),
          cell(docs(s) || String((jobs[s.job_id] || {}).documents_count || "")),
          cell("", "sign")
        );
        return tr;
      })
    );
  } catch (err) {
    $("sheet-error").textContent = errorText(err);
    $("sheet-error").hidden = false;
  }
  document.body.dataset.ready = "1";
}

$("print-btn").addEventListener("click", () => window.print());
load();
