// Applicant tracking: status timeline, the courier's position only while on the way, receipts to verify.
import { api, ApiError } from "./api.js";
import { config, errorText, fmtAppointment, fmtDateTime, fmtTimeZ, has, t } from "./i18n.js";
import { makeMap } from "./leafmap.js";
import { copyText, downloadCalendar, shareText, whatsappUrl } from "./share.js";

const $ = (id) => document.getElementById(id);
const code = config.tracking_code;
const params = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
// The booking link carries the secret in the #fragment (never sent to a server); keep it for later visits.
const secret = params.get("secret") || params.get("s") || hash.get("s") || hash.get("secret") || localStorage.getItem(`ajib.track.${code}`) || "";
if (secret) localStorage.setItem(`ajib.track.${code}`, secret);
// Without the secret link: the last 4 digits of the booking's phone (typed on the landing page or below), kept
// for this tab only. They open the status view; the server counts wrong guesses.
const PHONE_KEY = `ajib.track.phone.${code}`;
let phone = secret ? "" : sessionStorage.getItem(PHONE_KEY) || "";
const credential = () => (secret ? { secret } : { phone });
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
      when.textContent = s === "booked" ? t("track.booked_at", { when: fmtDateTime(entry.at) }) : fmtDateTime(entry.at);
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
  $("courier-eta").textContent = courier.eta ? t("track.eta", { time: fmtTimeZ(courier.eta) }) : "";
  $("courier-updated").textContent = courier.updated_at ? t("track.updated", { time: fmtTimeZ(courier.updated_at) }) : "";
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

function renderAppointment(data) {
  const w = data.window || {};
  $("appointment-box").hidden = false;
  $("track-appointment").textContent = fmtAppointment(data.date, w.start, w.end);
  $("track-kind").textContent = [t(`kind.${data.kind}`), data.office_name].filter(Boolean).join(" · ");
  const planned = data.planned_at && !data.courier;
  $("track-planned").hidden = !planned;
  $("track-planned").textContent = planned ? t("track.planned", { time: fmtTimeZ(data.planned_at) }) : "";
}

function renderSurvey(state) {
  $("survey-box").hidden = !state;
  if (!state) return;
  $("survey-text").textContent = state === "answered" ? t("track.survey_done") : t("track.survey_open");
  $("survey-link").hidden = state !== "open";
  $("survey-link").href = `/survey/${encodeURIComponent(code)}`;
}

function renderShare(data) {
  const w = data.window || {};
  $("share-box").hidden = false;
  $("track-whatsapp").href = whatsappUrl(shareText(data.tracking_code, data.date, w.start, w.end));
}

function askForPhone(wrong) {
  $("phone-form").hidden = false;
  const error = $("track-error");
  error.textContent = wrong ? t("track.phone_wrong") : "";
  error.hidden = !wrong;
  $("phone-digits").focus();
}

async function load() {
  const error = $("track-error");
  error.hidden = true;
  if (!secret && !phone) {
    askForPhone(false);
    document.body.dataset.ready = "1";
    return;
  }
  const headers = secret ? { "X-Tracking-Secret": secret } : { "X-Tracking-Phone": phone };
  try {
    const data = await api(`/api/track/${encodeURIComponent(code)}`, { headers });
    $("phone-form").hidden = true;
    $("track-status").textContent = statusLabel(data.status, data.status_label);
    $("track-status").dataset.status = data.status;
    renderAppointment(data);
    $("timeline-box").hidden = false;
    renderTimeline(data);
    renderCourier(data.courier);
    renderHandovers(data.handovers);
    renderSurvey(data.survey);
    renderShare(data);
    $("status-only").hidden = data.access !== "status";
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !secret) {
      sessionStorage.removeItem(PHONE_KEY);
      phone = "";
      askForPhone(true);
    } else {
      error.textContent = err instanceof ApiError && (err.status === 404 || err.status === 403) ? t("track.not_found") : errorText(err);
      error.hidden = false;
    }
  }
  document.body.dataset.ready = "1";
}

$("phone-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const digits = $("phone-digits").value.trim();
  if (!/^[0-9]{4}$/.test(digits)) return askForPhone(true);
  phone = digits;
  sessionStorage.setItem(PHONE_KEY, digits);
  load();
});
$("track-copy").addEventListener("click", async () => {
  $("track-copied").textContent = (await copyText(code)) ? t("share.copied") : code;
});
$("track-ics").addEventListener("click", () =>
  downloadCalendar(code, credential()).catch((err) => ($("track-copied").textContent = errorText(err))),
);
$("track-refresh").addEventListener("click", load);
setInterval(() => document.visibilityState === "visible" && (secret || phone) && load(), 30000);
load();
