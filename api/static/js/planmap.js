// The board's plan map, drawn in the page from the plan's JSON (no iframe, no server-made HTML): every text
// an applicant or a dispatcher typed reaches the map as textContent of elements built here.
import { fmtTime, fmtWindow, has, t } from "./i18n.js";
import { COLOURS, fitTo, makeMap, numberIcon, textTooltip } from "./leafmap.js";
import { courierOf, jobStops } from "./plandata.js";

const UNASSIGNED = "#6b6b6b";
const SERVICE_AREA_STYLE = { color: "#1b5e9e", weight: 2, fillColor: "#1b5e9e", fillOpacity: 0.06, interactive: false };

function point(obj) {
  return obj && Number.isFinite(obj.lat) && Number.isFinite(obj.lon) ? [obj.lat, obj.lon] : null;
}

function markerIcon(cls, text) {
  const box = document.createElement("div");
  box.className = cls;
  const inner = document.createElement("span");
  inner.textContent = text;
  box.append(inner);
  return L.divIcon({ className: "plan-marker", html: box, iconSize: [24, 24], iconAnchor: [12, 12] });
}

export function reasonText(code) {
  const key = `reason.${code || "unknown"}`;
  return has(key) ? t(key) : t("reason.unknown");
}

function stopLines(courier, stop, number) {
  const lines = [`${courier.name} · ${t("map.stop", { n: number })}`, stop.applicant_name || stop.tracking_code || `#${stop.job_id}`];
  const window = fmtWindow(stop.window_start, stop.window_end);
  if (window) lines.push(`${t("map.window")} ${window}`);
  const eta = fmtTime(stop.eta || stop.planned_arrival);
  if (eta) lines.push(`${t("map.eta")} ${eta}`);
  if (stop.status === "done" || stop.status === "failed") lines.push(t(`map.${stop.status}`));
  if (stop.late_risk) lines.push(t("map.late_risk"));
  return lines;
}

function legendControl(items) {
  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = document.createElement("div");
    box.className = "map-legend";
    box.dataset.testid = "map-legend";
    const list = document.createElement("ul");
    for (const { colour, label } of items) {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour;
      li.append(swatch, document.createTextNode(label));
      list.append(li);
    }
    box.append(list);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  return control;
}

export class PlanMap {
  constructor(element) {
    this.element = element;
    this.map = makeMap(element);
    this.layer = L.layerGroup().addTo(this.map);
    this.legend = null;
  }

  clear() {
    this.layer.clearLayers();
    if (this.legend) this.legend.remove();
    this.legend = null;
  }

  /** Draw `plan` (the JSON of GET /api/plans/{id}) and the office's service area (GeoJSON or null). */
  draw(plan, serviceArea = null) {
    this.clear();
    const points = [];
    const legend = [];
    if (serviceArea) L.geoJSON(serviceArea, { style: SERVICE_AREA_STYLE, interactive: false }).addTo(this.layer);
    const office = point(plan.office);
    if (office) {
      points.push(office);
      L.marker(office, { icon: markerIcon("plan-office", "🏢"), title: plan.office.name || "" })
        .bindTooltip(textTooltip([t("map.office"), plan.office.name]))
        .addTo(this.layer);
    }
    (plan.routes || []).forEach((route, index) => {
      const colour = COLOURS[index % COLOURS.length];
      const courier = courierOf(route);
      legend.push({ colour, label: `${courier.name} (${t("map.stops", { n: jobStops(route).length })})` });
      const line = (route.geometry || []).filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]));
      if (line.length > 1) {
        L.polyline(line, { color: colour, weight: 4, opacity: 0.85 }).bindTooltip(textTooltip([courier.name])).addTo(this.layer);
        points.push(...line);
      }
      jobStops(route).forEach((stop, i) => {
        const where = point(stop);
        if (!where) return;
        points.push(where);
        const cls = [stop.status === "done" ? "done" : "", stop.status === "failed" ? "failed" : "", stop.late_risk ? "late" : ""].join(" ").trim();
        L.marker(where, { icon: numberIcon(i + 1, colour, cls), title: stop.applicant_name || stop.tracking_code || "" })
          .bindTooltip(textTooltip(stopLines(courier, stop, i + 1)))
          .addTo(this.layer);
      });
    });
    for (const item of plan.unassigned || []) {
      const label = item.applicant_name || item.tracking_code || `#${item.job_id}`;
      legend.push({ colour: UNASSIGNED, label: `${label}: ${reasonText(item.reason)}` });
      const where = point(item);
      if (!where) continue;
      points.push(where);
      L.marker(where, { icon: markerIcon("plan-unassigned", "!"), title: label })
        .bindTooltip(textTooltip([t("map.unassigned"), label, reasonText(item.reason), item.detail]))
        .addTo(this.layer);
    }
    if (legend.length) this.legend = legendControl(legend).addTo(this.map);
    this.map.invalidateSize();
    fitTo(this.map, points);
  }
}
