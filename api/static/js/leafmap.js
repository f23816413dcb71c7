// Small Leaflet maps (vendored Leaflet, global L): tiles when a tile server is configured, otherwise an offline
// base layer drawn from our own data (kecamatan and kelurahan outlines with their names, the office and its
// service area, GET /api/geo/basemap.geojson). Distances are metric only.
import { config, t } from "./i18n.js";

export const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#117733", "#332288", "#AA4499", "#44AA99", "#999933"];

const NEAR_ZOOM = 13; // from here on kelurahan names are readable; further out only kecamatan names
const BASE_STYLE = {
  kecamatan: { color: "#5b6b7b", weight: 2, opacity: 0.9, fill: false, className: "basemap-kecamatan" },
  kelurahan: { color: "#8a97a5", weight: 1, opacity: 0.9, dashArray: "4 3", fillColor: "#f7f5ee", fillOpacity: 1, className: "basemap-kelurahan" },
  service_area: { color: "#1b5e9e", weight: 3, opacity: 0.8, fillColor: "#1b5e9e", fillOpacity: 0.05, className: "basemap-service-area" },
};
const basemaps = new Map(); // url -> Promise<GeoJSON | null>, one fetch per page

function basemapData(officeId) {
  const url = officeId ? `/api/geo/basemap.geojson?office_id=${encodeURIComponent(officeId)}` : "/api/geo/basemap.geojson";
  if (!basemaps.has(url)) {
    const loading = fetch(url, { headers: { Accept: "application/geo+json" } })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
    basemaps.set(url, loading);
  }
  return basemaps.get(url);
}

/** Area names as plain positioned text in their own pane (not markers: nothing to click, nothing to hover). */
const AreaLabels = L.Layer.extend({
  initialize(items) {
    this.items = items; // [{ at: [lat, lon], kind, text }]
  },
  onAdd(map) {
    this.box = L.DomUtil.create("div", "basemap-labels leaflet-zoom-hide", map.getPane("ajib-base-labels"));
    this.nodes = this.items.map((item) => {
      const span = L.DomUtil.create("span", `basemap-label basemap-label-${item.kind}`, this.box);
      span.textContent = item.text;
      return span;
    });
    map.on("zoomend viewreset", this.place, this);
    this.place();
  },
  onRemove(map) {
    map.off("zoomend viewreset", this.place, this);
    this.box.remove();
  },
  place() {
    this.items.forEach((item, i) => {
      const p = this._map.latLngToLayerPoint(item.at);
      this.nodes[i].style.left = `${p.x}px`;
      this.nodes[i].style.top = `${p.y}px`;
    });
  },
});

/** The offline base layer of one map: areas first, then (once the map knows it) the office and its area. */
class BaseLayer {
  constructor(map) {
    this.map = map;
    map.createPane("ajib-base").style.zIndex = "250";
    map.createPane("ajib-base-labels").style.zIndex = "350";
    map.getPane("ajib-base-labels").style.pointerEvents = "none";
    this.renderer = L.svg({ pane: "ajib-base", padding: 0.5 });
    this.areas = L.layerGroup().addTo(map);
    this.office = L.layerGroup().addTo(map);
    this.officeId = undefined;
    this.areasDrawn = false;
    this.jakarta = null; // the bounds of all areas
    this.bounds = null;
    const zoomClass = () => map.getContainer().classList.toggle("basemap-near", map.getZoom() >= NEAR_ZOOM);
    map.on("zoomend", zoomClass);
    zoomClass();
  }

  /** Draw the areas, and the office `officeId` (null: none); resolves once drawn (or once it failed). */
  async show(officeId = null) {
    if (this.officeId === officeId) return this.ready;
    this.officeId = officeId;
    this.ready = basemapData(officeId).then((data) => {
      if (!data || this.officeId !== officeId) return;
      this.draw(data);
    });
    return this.ready;
  }

  /** Areas are drawn once (every answer carries them); the office part is replaced when the office changes. */
  draw(data) {
    const withAreas = !this.areasDrawn;
    this.office.clearLayers();
    let serviceBounds = null;
    let allBounds = null;
    const labels = [];
    for (const feature of data.features || []) {
      const p = feature.properties || {};
      if (p.kind === "office") {
        const [lon, lat] = feature.geometry.coordinates;
        if (Number.isFinite(lat) && Number.isFinite(lon)) {
          L.marker([lat, lon], { icon: officeIcon(), title: p.name || "", keyboard: false })
            .bindTooltip(textTooltip([t("map.office"), p.name]))
            .addTo(this.office);
        }
        continue;
      }
      const style = BASE_STYLE[p.kind];
      if (!style || (p.kind !== "service_area" && !withAreas)) continue;
      const layer = L.geoJSON(feature, { style, renderer: this.renderer, pane: "ajib-base", interactive: false });
      layer.addTo(p.kind === "service_area" ? this.office : this.areas);
      const b = layer.getBounds();
      if (p.kind === "service_area") serviceBounds = b;
      else if (b.isValid()) allBounds = allBounds ? allBounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
      const at = Array.isArray(p.label) ? p.label : null;
      if (at && Number.isFinite(at[0]) && Number.isFinite(at[1]) && p.name) labels.push({ at, kind: p.kind, text: p.name });
    }
    if (withAreas) {
      new AreaLabels(labels).addTo(this.areas);
      this.areasDrawn = true;
      this.jakarta = allBounds;
    }
    this.bounds = serviceBounds && serviceBounds.isValid() ? serviceBounds : this.jakarta;
    // fit Jakarta (or the office's area) only while the page has not placed the view itself
    const map = this.map;
    const size = map.getSize();
    const untouched = !map.ajibFitted && map.getZoom() === map.ajibStart.zoom && map.getCenter().equals(map.ajibStart.centre);
    if (untouched && this.bounds && size.x && size.y) {
      map.fitBounds(this.bounds, { padding: [8, 8], animate: false });
      map.ajibStart = { centre: map.getCenter(), zoom: map.getZoom() }; // still ours: the office's area may refit it
    }
  }
}

function officeIcon() {
  const box = document.createElement("div");
  box.className = "plan-office";
  const inner = document.createElement("span");
  inner.textContent = "🏢";
  box.append(inner);
  return L.divIcon({ className: "plan-marker basemap-office", html: box, iconSize: [24, 24], iconAnchor: [12, 12] });
}

/**
 * A map in `element`: tiles when configured, else the offline base layer (with `officeId`, its office and
 * service area too). Always a metric scale. The map fits Jakarta (or the office's area) until `fitTo` is
 * given points of its own.
 */
export function makeMap(element, { centre = [-6.2, 106.82], zoom = 12, interactive = true, officeId = null } = {}) {
  const map = L.map(element, { zoomControl: interactive, attributionControl: Boolean(config.tile_url) }).setView(centre, zoom);
  map.ajibStart = { centre: map.getCenter(), zoom: map.getZoom() };
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
  const zoomMark = () => (element.dataset.zoom = String(map.getZoom())); // readable by tests and styles
  map.on("zoomend", zoomMark);
  zoomMark();
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("no-tiles");
    map.ajibBase = new BaseLayer(map);
    map.ajibBase.show(officeId);
  }
  return map;
}

/** Show office `officeId` (its point and service area) on the base layer; nothing to do over tiles. */
export function showOffice(map, officeId) {
  return map.ajibBase ? map.ajibBase.show(officeId || null) : Promise.resolve();
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

/** The page has placed the view itself (a booking pin): the base layer must not move it. */
export function keepView(map) {
  map.ajibFitted = true;
}

/** Zoom to `points` ([lat, lon] pairs; anything not a finite pair is skipped). A map whose container has no
 * size yet (a hidden tab) is not fitted: Leaflet would compute NaN coordinates from a 0×0 box. */
export function fitTo(map, points) {
  const valid = points.filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (!valid.length) return;
  map.ajibFitted = true;
  const size = map.getSize();
  if (!size.x || !size.y) return;
  if (valid.length === 1) map.setView(valid[0], 15);
  else map.fitBounds(valid, { padding: [24, 24], maxZoom: 16 });
}
