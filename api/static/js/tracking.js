// Applicant tracking: status timeline, the courier's position only while on the way, receipts to verify.
import { api, ApiError } from "./api.js";
import { config, errorText, fmtDateTime, fmtTime, fmtWindow, has, t } from "./i18n.js";
import { makeMap } from "./leafmap.js";

const $ = (id) => document.getElementById(id);
const code = config.tracking_code;
const params = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
// The booking link carries the secret in the #fragment (never sent to a server); keep it for later visits.
const secret = params.get("secret") || params.get("s") || hash.get("s") || hash.get("secret") || localStorage.getItem(`ajib.track.${code}`) || "";
if (secret) localStorage.setItem(`ajib.track.${code}`, secret);
const STEPS = {
  pickup: ["booked", "planned", "on_the_way", "picked_up", "at_office"],
  delivery: ["booked", "planned", "out_for_delivery", "delivered"],
};
const state = { map: null, marker: null, path: null };

function statusLabel(status, fallback) {
  return has(`status.${status}`) ? t(`status.${status}`) : fallback || status;
}

function withSecret(url) {
  if (!url || /[?&](secret|t|token|sig)=/.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}secret=${encodeURIComponent(secret)}`;
}

function renderTimeline(data) {
  const list = $("timeline");
  list.replaceChildren();
  const seen = new Map();
  for (const entry of data.timeline || []) seen.set(entry.status, entry);
  const steps = [...(STEPS[data.kind] || STEPS.pickup)];
  const onTheWay = Boolean(data.courier);
  const reached = new Set(seen.keys());
  if (onTheWay) reached.add(data.kind === "delivery" ? "out_for_delivery" : "on_the_way");
  // steps shown: every step of the kind, plus events the server reports that are not in the usual path
  const extra = [...seen.keys()].filter((s) => !steps.includes(s));
  const ordered = [...steps.filter((s) => s !== "on_the_way" || onTheWay || reached.has("on_the_way")), ...extra];
  let lastDone = -1;
  ordered.forEach((s, i) => {
    if (reached.has(s)) lastDone = i;
  });
  ordered.forEach((s, i) => {
    const entry = seen.get(s);
    const li = document.createElement("li");
    li.dataset.status = s;
    li.className = i < lastDone ? "done" : i === lastDone ? "current" : "todo";
    if (i <= lastDone) li.classList.add("reached");
    li.textContent = statusLabel(s, entry && entry.label);
    if (entry && entry.at) {
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = fmtDateTime(entry.at);
      li.append(when);
    }
    list.append(li);
  });
}

function renderCourier(courier) {
  const box = $("courier-box");
  if (!courier) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  $("courier-line").textContent = t("track.courier_on_way", { name: courier.name || "" });
  $("courier-eta").textContent = courier.eta ? t("track.eta", { time: fmtTime(courier.eta) }) : "";
  $("courier-updated").textContent = courier.updated_at ? t("track.updated", { time: fmtTime(courier.updated_at) }) : "";
  if (!window.L || !Number.isFinite(courier.lat)) return;
  if (!state.map) state.map = makeMap($("track-map"), { zoom: 15 });
  if (!state.marker) state.marker = L.marker([courier.lat, courier.lon]).addTo(state.map);
  state.marker.setLatLng([courier.lat, courier.lon]);
  // the courier's way to this door: along the roads when the office has a road network, else straight
  const path = Array.isArray(courier.path) ? courier.path : [];
  if (state.path) state.path.remove();
  state.path = path.length > 1 ? L.polyline(path, { color: "#0b4f8a", weight: 4, opacity: 0.8 }).addTo(state.map) : null;
  if (state.path) state.map.fitBounds(state.path.getBounds(), { padding: [24, 24], maxZoom: 16 });
  else state.map.setView([courier.lat, courier.lon], 15);
  setTimeout(() => state.map.invalidateSize(), 0);
}

function renderHandovers(items) {
  const list = $("handovers");
  list.replaceChildren();
  $("handover-box").hidden = !items || !items.length;
  for (const h of items || []) {
    const li = document.createElement("li");
    li.dataset.testid = "handover";
    const head = document.createElement("p");
    head.textContent = `${fmtDateTime(h.at)} — ${t("track.from_to", { from: t(`party.${h.from_party}`), to: t(`party.${h.to_party}`) })}${h.recipient_name ? ` (${h.recipient_name})` : ""}`;
    li.append(head);
    for (const url of h.thumbnails || []) {
      const img = document.createElement("img");
      img.src = withSecret(url);
      img.alt = t("track.handovers");
      img.loading = "lazy";
      li.append(img);
    }
    if (h.receipt_url) {
      const a = document.createElement("a");
      a.href = h.receipt_url;
      a.className = "btn";
      a.textContent = t("track.receipt");
      a.dataset.testid = "receipt-link";
      li.append(a);
    }
    list.append(li);
  }
}

async function load() {
  const error = $("track-error");
  error.hidden = true;
  if (!secret) {
    error.textContent = t("track.need_secret");
    error.hidden = false;
    return;
  }
  try {
    const data = await api(`/api/track/${encodeURIComponent(code)}?secret=${encodeURIComponent(secret)}`);
    $("track-status").textContent = statusLabel(data.status, data.status_label);
    $("track-status").dataset.status = data.status;
    const w = data.window || {};
    $("track-window").textContent = [t(`kind.${data.kind}`), w.label || fmtWindow(w.start, w.end)].filter(Boolean).join(" · ");
    renderTimeline(data);
    renderCourier(data.courier);
    renderHandovers(data.handovers);
  } catch (err) {
    error.textContent = err instanceof ApiError && (err.status === 404 || err.status === 403) ? t("track.not_found") : errorText(err);
    error.hidden = false;
  }
  document.body.dataset.ready = "1";
}

$("track-refresh").addEventListener("click", load);
setInterval(() => document.visibilityState === "visible" && load(), 30000);
load();
