// Small Leaflet maps (vendored Leaflet, global L): tiles only when configured, otherwise a plain background.
import { config } from "./i18n.js";

export const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#117733", "#332288", "#AA4499", "#44AA99", "#999933"];

export function makeMap(element, { centre = [-6.2, 106.82], zoom = 12, interactive = true } = {}) {
  const map = L.map(element, { zoomControl: interactive, attributionControl: Boolean(config.tile_url) }).setView(centre, zoom);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("no-tiles");
  }
  return map;
}

// Marker contents are elements, not HTML strings: no text is ever parsed as markup, and the colour is set
// through the CSSOM (the pages' CSP refuses style attributes).
function badge(cls, colour, text) {
  const span = document.createElement("span");
  span.className = cls;
  span.style.background = colour;
  if (text !== undefined && text !== null) span.textContent = String(text);
  return span;
}

export function numberIcon(n, colour, extra = "") {
  return L.divIcon({ className: "num-marker", html: badge(`num ${extra}`.trim(), colour, n), iconSize: [28, 28], iconAnchor: [14, 14] });
}

export function dotIcon(colour, extra = "") {
  return L.divIcon({ className: "dot-marker", html: badge(`dot ${extra}`.trim(), colour), iconSize: [18, 18], iconAnchor: [9, 9] });
}

/** A tooltip body built from lines of plain text (the first one bold): safe for any text, unlike a string. */
export function textTooltip(lines) {
  const box = document.createElement("div");
  lines.filter((line) => line !== null && line !== undefined && line !== "").forEach((line, i) => {
    const row = document.createElement(i === 0 ? "strong" : "div");
    row.textContent = String(line);
    box.append(row);
  });
  return box;
}

export function fitTo(map, points) {
  const valid = points.filter((p) => p && Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (valid.length === 1) map.setView(valid[0], 15);
  else if (valid.length > 1) map.fitBounds(valid, { padding: [24, 24], maxZoom: 16 });
}
