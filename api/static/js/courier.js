// Courier PWA: log in once, today's route as stop cards, handovers and failed attempts kept in an IndexedDB
// outbox and sent exactly once (Idempotency-Key) when the network allows, position pings while on duty.
import { el } from "./dom.js";
import { api, ApiError, loadAuth, login, NetworkError, saveAuth } from "./api.js";
import { errorText, fmtDay, fmtKm, fmtNumber, fmtTimeZ, fmtWindow, t, todayWIB } from "./i18n.js";
import * as idb from "./idb.js";
import * as outbox from "./outbox.js";
import { SignaturePad } from "./signature.js";
import { ensureKey, signHandover } from "./devicekey.js";
import { downscale } from "./photo.js";
import { currentPosition, watch } from "./geo.js";
import { fitTo, makeMap, numberIcon, showOffice } from "./leafmap.js";

const $ = (id) => document.getElementById(id);
const PING_EVERY_MS = 15000;
const PARTIES = {
  collect: ["applicant", "courier"],
  hand_over: ["courier", "applicant"],
  drop_at_office: ["courier", "office"],
  load_at_office: ["office", "courier"],
};
const KIND_ACTION = { pickup: "collect", delivery: "hand_over", office_drop: "drop_at_office", office_load: "load_at_office" };

const state = {
  auth: loadAuth("courier"),
  day: todayWIB(),
  route: null,
  stops: [],
  local: {}, // stop_id -> "queued" | "done" | "failed" | "attention" (what this phone did, before the server says)
  ticks: {}, // stop_id -> true: a bundle the courier ticked off at the office counter
  map: null,
  mapLayer: null,
  pad: null,
  photos: { ho: [], at: [] },
  fix: { ho: null, at: null },
  current: null,
  duty: localStorage.getItem("ajib.courier.duty") === "1",
  buffer: [],
  stopWatch: null,
};

// ------------------------------------------------------------------ views and small helpers
function show(view) {
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${view}`;
  window.scrollTo(0, 0);
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

function actionOf(stop) {
  return stop.action || KIND_ACTION[stop.kind] || "collect";
}

function waNumber(phone) {
  let digits = String(phone || "").replace(/\D/g, "");
  if (digits.startsWith("0")) digits = "62" + digits.slice(1);
  return digits;
}

function navigateUrl(stop) {
  return stop.navigate_url || stop.geo_uri || `geo:${stop.lat},${stop.lon}?q=${stop.lat},${stop.lon}`;
}

/** {method, nik_last4, representative_name} (the route API's shape; a bare method string is accepted too). */
function identityOf(stop) {
  const ic = stop.identity_check;
  if (!ic) return { method: "nik_last4", nik_last4: null, representative_name: stop.representative_name || null };
  if (typeof ic === "string") return { method: ic, nik_last4: null, representative_name: stop.representative_name || null };
  return ic;
}

function stopState(stop) {
  if (stop.status && stop.status !== "planned") return stop.status;
  return state.local[stop.stop_id] || "planned";
}

function documentsText(stop) {
  const docs = stop.documents || [];
  if (typeof docs === "number") return String(docs);
  return docs.map((d) => (typeof d === "string" ? d : `${d.name}${d.copies > 1 ? ` ×${d.copies}` : ""}`)).join(", ");
}

async function saveLocal() {
  await idb.put("kv", state.local, `stop-states:${state.day}`);
}

function setNetState() {
  const pill = $("net-state");
  pill.textContent = navigator.onLine ? t("common.online") : t("common.offline");
  pill.classList.toggle("offline", !navigator.onLine);
}

// ------------------------------------------------------------------ login
function token() {
  return state.auth && state.auth.access_token;
}

const ROUTE_CACHES = /^ajib-data-/; // the service worker's copies of /api/courier/route (names, phones, addresses)

/** Remove what this phone knows about the day: the route and stop marks (IndexedDB), the service worker's copies
 * of the route (CacheStorage), and with `everything` the outbox and the device key too. A shared phone must
 * not show the next person the last courier's applicants. */
async function forgetRoute({ everything }) {
  state.route = null;
  state.stops = [];
  state.local = {};
  state.ticks = {};
  const jobs = [idb.clear("kv")];
  if (everything) jobs.push(idb.clear("outbox"));
  if ("caches" in window) {
    jobs.push(caches.keys().then((keys) => Promise.all(keys.filter((k) => ROUTE_CACHES.test(k)).map((k) => caches.delete(k)))));
  }
  await Promise.allSettled(jobs);
  $("stop-list").replaceChildren();
  if (state.mapLayer) state.mapLayer.remove();
  state.mapLayer = null;
}

/** The server refused the token (401): forget the route, keep the outbox (it is sent after the next login). */
async function expired() {
  saveAuth("courier", null);
  state.auth = null;
  setDuty(false);
  await forgetRoute({ everything: false });
  show("login");
}

/** The courier logs out: revoke the token (best effort), forget everything, back to the login form. */
async function logout() {
  const pending = (await outbox.items()).filter((i) => i.kind !== "positions").length;
  if (pending && $("logout-confirm").hidden) {
    $("logout-warning").textContent = t("courier.logout_pending", { n: pending });
    $("logout-confirm").hidden = false;
    return;
  }
  $("logout-confirm").hidden = true;
  const old = token();
  saveAuth("courier", null);
  state.auth = null;
  setDuty(false);
  if (old) api("/api/auth/revoke", { method: "POST", json: {}, token: old }).catch(() => {});
  await forgetRoute({ everything: true });
  await renderOutbox();
  document.body.dataset.loggedOut = "1";
  show("login");
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = $("login-error");
  error.hidden = true;
  try {
    const auth = await login($("login-username").value.trim(), $("login-password").value, "device", "courier-pwa");
    if (auth.role !== "courier") throw new ApiError(403, { error: { message: t("login.failed") } });
    state.auth = auth;
    saveAuth("courier", auth);
    delete document.body.dataset.loggedOut;
    await ensureKey(auth);
    $("login-password").value = "";
    location.hash = "";
    await loadRoute();
    show("route");
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? t("login.failed") : errorText(err);
    error.hidden = false;
  }
});
$("logout").addEventListener("click", logout);
$("logout-force").addEventListener("click", logout);
$("logout-cancel").addEventListener("click", () => ($("logout-confirm").hidden = true));

// ------------------------------------------------------------------ route
async function loadRoute() {
  state.local = (await idb.get("kv", `stop-states:${state.day}`)) || {};
  state.ticks = (await idb.get("kv", `ticks:${state.day}`)) || {};
  const note = $("route-note");
  note.hidden = true;
  try {
    const data = await api(`/api/courier/route?date=${state.day}`, { token: token() });
    state.route = data;
    await idb.put("kv", data, `route:${state.day}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return expired();
    if (err instanceof ApiError && err.status === 404) {
      state.route = null;
    } else {
      state.route = (await idb.get("kv", `route:${state.day}`)) || null;
      if (err instanceof NetworkError && state.route) {
        note.textContent = t("courier.route_from_cache");
        note.hidden = false;
      } else if (!state.route) {
        note.textContent = errorText(err);
        note.hidden = false;
      }
    }
  }
  const stops = state.route ? (Array.isArray(state.route) ? state.route : state.route.stops || []) : [];
  state.stops = stops.filter((s) => s.job_id !== null && s.job_id !== undefined).sort((a, b) => a.seq - b.seq);
  // the server is the authority once it knows: drop local marks it has confirmed
  for (const s of state.stops) if (s.status && s.status !== "planned") delete state.local[s.stop_id];
  renderRoute();
}

const OFFICE_KINDS = new Set(["office_drop", "office_load"]);
const FINISHED = new Set(["done", "failed", "queued", "skipped"]);

/** The route as the courier works it: one item per home stop, and one per office visit (consecutive office
 * stops: every document dropped and collected at the counter in one go). */
function visits(stops) {
  const items = [];
  for (const stop of stops) {
    const last = items[items.length - 1];
    if (OFFICE_KINDS.has(stop.kind)) {
      if (last && last.office) last.stops.push(stop);
      else items.push({ office: true, stops: [stop] });
    } else {
      items.push({ office: false, stops: [stop] });
    }
  }
  return items;
}

/** Done when the server says so; an office visit also once the courier ticked off every bundle at the counter. */
function itemFinished(item) {
  return item.stops.every((s) => FINISHED.has(stopState(s)) || (item.office && state.ticks[s.stop_id]));
}

function renderRoute() {
  $("route-date").textContent = fmtDay(state.day);
  const list = $("stop-list");
  list.replaceChildren();
  $("route-empty").hidden = state.stops.length > 0;
  const numbers = new Map(state.stops.map((s, i) => [s.stop_id, i + 1]));
  const items = visits(state.stops);
  const open = items.filter((item) => !itemFinished(item));
  const finished = items.filter(itemFinished);
  open.forEach((item, i) => {
    const card = item.office ? officeCard(item, numbers) : stopCard(item.stops[0], numbers.get(item.stops[0].stop_id), stopState(item.stops[0]));
    if (i === 0) {
      card.classList.add("next-stop");
      card.dataset.next = "1";
      card.prepend(el("p", { class: "next-label", text: t("courier.next_stop") }));
    }
    list.append(card);
  });
  if (finished.length) {
    const box = el("details", { class: "finished-stops", "data-testid": "finished-stops" },
      el("summary", { text: t("courier.finished_stops", { n: finished.length }) }));
    const inner = el("ol", { class: "stop-list" });
    for (const item of finished) {
      inner.append(item.office ? officeCard(item, numbers) : stopCard(item.stops[0], numbers.get(item.stops[0].stop_id), stopState(item.stops[0])));
    }
    box.append(inner);
    list.append(el("li", { class: "finished-wrap" }, box));
  }
  const done = state.stops.filter((s) => FINISHED.has(stopState(s))).length;
  const km = state.route && state.route.distance_m > 0 ? ` · ${fmtKm(state.route.distance_m / 1000)}` : "";
  $("route-progress").textContent = state.stops.length ? `${t("courier.stops_done", { done, total: state.stops.length })}${km}` : "";
  renderMap();
}

function contactButtons(stop) {
  const contact = el("div", { class: "stop-actions" });
  if (stop.phone) {
    contact.append(el("a", { class: "btn", href: `tel:${stop.phone}`, "data-testid": "call-link", text: t("courier.call") }));
    if (!OFFICE_KINDS.has(stop.kind)) {
      contact.append(
        el("a", { class: "btn", href: `https://wa.me/${waNumber(stop.phone)}`, target: "_blank", rel: "noopener", "data-testid": "whatsapp-link", text: t("courier.whatsapp") })
      );
    }
  }
  contact.append(el("a", { class: "btn btn-nav", href: navigateUrl(stop), "data-testid": "navigate-link", text: t("courier.navigate") }));
  return contact;
}

function stopCard(stop, number, st) {
  const action = actionOf(stop);
  const finished = FINISHED.has(st);
  const head = el(
    "div",
    { class: "stop-head" },
    el("span", { class: "num", text: String(number) }),
    el("span", { class: "stop-action", text: t(`courier.action.${action}`) }),
    el("span", { class: `badge badge-${st}`, "data-testid": "stop-status", text: t(`courier.stop_status.${st === "attention" ? "failed" : st}`) })
  );
  const times = el(
    "p",
    { class: "stop-times" },
    stop.window_start ? el("strong", { text: `${t("courier.window")} ${fmtWindow(stop.window_start, stop.window_end)} WIB` }) : null,
    stop.eta || stop.planned_start ? `${stop.window_start ? " · " : ""}${t("courier.eta")} ${fmtTimeZ(stop.eta || stop.planned_start)}` : ""
  );
  const card = el(
    "li",
    { class: `stop-card state-${st}`, "data-stop-id": stop.stop_id, "data-job-id": stop.job_id, "data-testid": "stop-card" },
    head,
    times,
    stop.applicant_name ? el("p", { class: "stop-name", text: stop.applicant_name }) : null,
    el("p", { class: "stop-address", text: [stop.address, stop.rt_rw ? `${t("courier.rt_rw")} ${stop.rt_rw}` : ""].filter(Boolean).join(" · ") }),
    stop.access_notes ? el("p", { class: "stop-notes", text: `${t("courier.access_notes")}: ${stop.access_notes}` }) : null,
    documentsText(stop) ? el("p", { class: "stop-docs", text: `${t("courier.documents")}: ${documentsText(stop)}` }) : null
  );
  if (finished) return card; // collapsed with the other finished stops: what happened, no buttons
  card.append(contactButtons(stop));
  const work = el("div", { class: "stop-actions" });
  work.append(el("a", { class: "btn btn-primary", href: `#handover/${stop.stop_id}`, "data-testid": "handover-link", text: t("courier.do_handover") }));
  if (action === "collect" || action === "hand_over") {
    work.append(el("a", { class: "btn btn-danger", href: `#attempt/${stop.stop_id}`, "data-testid": "attempt-link", text: t("courier.do_attempt") }));
  }
  card.append(work);
  return card;
}

/** One row of the office card: a bundle to hand in or to collect, named as the counter knows it (tracking code,
 * applicant, application number, documents). The clerk records the handover itself; the courier ticks each
 * bundle off here as it changes hands, so nothing is left on the counter or in the box. */
function officeDoc(stop) {
  const recorded = FINISHED.has(stopState(stop));
  const ticked = recorded || Boolean(state.ticks[stop.stop_id]);
  const id = `tick-${stop.stop_id}`;
  const box = el("input", { id, type: "checkbox", class: "tick-box", "data-testid": "office-doc-check" });
  box.checked = ticked;
  box.disabled = recorded;
  box.addEventListener("change", async () => {
    if (box.checked) state.ticks[stop.stop_id] = true;
    else delete state.ticks[stop.stop_id];
    await idb.put("kv", state.ticks, `ticks:${state.day}`);
    renderRoute();
  });
  return el(
    "li",
    { class: `office-doc${ticked ? " ticked" : ""}`, "data-testid": "office-doc", "data-stop-id": stop.stop_id, "data-job-id": stop.job_id, "data-action": actionOf(stop) },
    box,
    el(
      "label",
      { class: "office-doc-text", for: id },
      el("span", { class: "office-doc-code" }, el("strong", { "data-testid": "doc-code", text: stop.tracking_code || `#${stop.job_id}` }), stop.applicant_name ? ` · ${stop.applicant_name}` : ""),
      stop.application_number ? el("span", { class: "muted", text: `${t("courier.application")} ${stop.application_number}` }) : null,
      documentsText(stop) ? el("span", { class: "stop-docs", text: documentsText(stop) }) : null,
      recorded ? el("span", { class: "badge badge-done", "data-testid": "stop-status", text: t("courier.office_recorded") }) : null
    )
  );
}

function officeCard(item, numbers) {
  const first = item.stops[0];
  const finished = itemFinished(item);
  const done = item.stops.filter((s) => FINISHED.has(stopState(s)) || state.ticks[s.stop_id]).length;
  const office = (state.route && state.route.office) || {};
  const card = el(
    "li",
    { class: `stop-card office-card state-${finished ? "done" : "planned"}`, "data-testid": "office-card", "data-stop-id": first.stop_id },
    el(
      "div",
      { class: "stop-head" },
      el("span", { class: "num", text: String(numbers.get(first.stop_id)) }),
      el("span", { class: "stop-action", text: t("courier.office_visit", { office: office.name || first.address || t("party.office") }) }),
      el("span", { class: `badge badge-${finished ? "done" : "planned"}`, "data-testid": "office-progress", text: t("courier.office_progress", { done, total: item.stops.length }) })
    ),
    first.eta || first.planned_start ? el("p", { class: "stop-times", text: `${t("courier.eta")} ${fmtTimeZ(first.eta || first.planned_start)}` }) : null,
    first.address ? el("p", { class: "stop-address", text: first.address }) : null,
    finished ? null : el("p", { class: "hint", text: t("courier.office_hint") })
  );
  for (const action of ["drop_at_office", "load_at_office"]) {
    const stops = item.stops.filter((s) => actionOf(s) === action);
    if (!stops.length) continue;
    card.append(
      el("h3", { class: "office-doc-head", text: t(action === "drop_at_office" ? "courier.office_drops" : "courier.office_loads", { n: stops.length }) }),
      el("ul", { class: "office-docs", "data-testid": `office-docs-${action}` }, ...stops.map(officeDoc))
    );
  }
  if (!finished) card.append(contactButtons(first));
  return card;
}

function renderMap() {
  const box = $("route-map");
  if (!window.L) return;
  if (!state.map) state.map = makeMap(box, { zoom: 12 });
  showOffice(state.map, state.route && state.route.office ? state.route.office.id : null);
  if (state.mapLayer) state.mapLayer.remove();
  state.mapLayer = L.layerGroup().addTo(state.map);
  const points = [];
  const ahead = []; // what is still to do: the map is fitted to it, so a long day's done stops do not crowd it
  const open = new Set(visits(state.stops).filter((item) => !itemFinished(item)).flatMap((item) => item.stops.map((s) => s.stop_id)));
  const nextId = (visits(state.stops).find((item) => !itemFinished(item)) || { stops: [{}] }).stops[0].stop_id;
  state.stops.forEach((stop, index) => {
    if (!Number.isFinite(stop.lat) || !Number.isFinite(stop.lon)) return;
    points.push([stop.lat, stop.lon]);
    if (open.has(stop.stop_id)) ahead.push([stop.lat, stop.lon]);
    if (OFFICE_KINDS.has(stop.kind) && index > 0 && OFFICE_KINDS.has(state.stops[index - 1].kind)) return; // one marker per office visit
    const cls = [FINISHED.has(stopState(stop)) ? "done" : "", stop.stop_id === nextId ? "next" : ""].join(" ").trim();
    L.marker([stop.lat, stop.lon], { icon: numberIcon(index + 1, "#0b4f8a", cls), title: stop.applicant_name || "", zIndexOffset: stop.stop_id === nextId ? 1000 : 0 }).addTo(state.mapLayer);
  });
  // the route's line along the roads when the server has one (a road engine planned it), else stop to stop
  const road = state.route && Array.isArray(state.route.geometry) ? state.route.geometry : [];
  const line = road.length > 1 ? road : points;
  if (line.length > 1) L.polyline(line, { color: "#0b4f8a", weight: 4, opacity: 0.8 }).addTo(state.mapLayer);
  setTimeout(() => {
    state.map.invalidateSize();
    fitTo(state.map, ahead.length ? ahead : points);
  }, 0);
}

$("route-refresh").addEventListener("click", () => loadRoute());

// ------------------------------------------------------------------ handover
function findStop(stopId) {
  return state.stops.find((s) => String(s.stop_id) === String(stopId));
}

function showFix(prefix, fix) {
  $(`${prefix}-gps`).textContent = fix
    ? t("handover.gps_fix", { lat: fmtNumber(fix.lat, 5), lon: fmtNumber(fix.lon, 5), m: fmtNumber(fix.accuracy_m, 0) })
    : t("handover.gps_denied");
}

async function locate(prefix) {
  $(`${prefix}-gps`).textContent = t("common.loading");
  state.fix[prefix] = await currentPosition();
  showFix(prefix, state.fix[prefix]);
}

function renderThumbs(prefix) {
  const box = $(`${prefix}-photos`);
  box.replaceChildren();
  for (const photo of state.photos[prefix]) {
    const img = el("img", { alt: t("handover.photo"), src: URL.createObjectURL(photo.blob) });
    box.append(img);
  }
  if (state.photos[prefix].length) box.append(el("span", { class: "muted", text: t("handover.photo_count", { n: state.photos[prefix].length }) }));
}

async function addPhoto(prefix, input) {
  for (const file of input.files) {
    const shrunk = await downscale(file);
    state.photos[prefix].push(shrunk);
  }
  input.value = "";
  renderThumbs(prefix);
}

$("ho-photo").addEventListener("change", (e) => addPhoto("ho", e.target));
$("at-photo").addEventListener("change", (e) => addPhoto("at", e.target));
$("ho-gps-get").addEventListener("click", () => locate("ho"));
$("at-gps-get").addEventListener("click", () => locate("at"));
$("ho-signature-clear").addEventListener("click", () => state.pad && state.pad.clear());
for (const b of document.querySelectorAll("[data-back]")) b.addEventListener("click", () => (location.hash = ""));

function stopSummary(stop) {
  const window = fmtWindow(stop.window_start, stop.window_end);
  return [stop.tracking_code, stop.applicant_name, stop.address, window ? `${window} WIB` : ""].filter(Boolean).join(" · ");
}

/** The documents changing hands at this stop, one checkbox each: the courier ticks what is really there. */
function renderDocChecklist(stop) {
  const action = actionOf(stop);
  $("ho-docs-legend").textContent = t(`handover.docs.${action}`);
  $("ho-docs-ref").textContent = [stop.tracking_code, stop.application_number ? `${t("courier.application")} ${stop.application_number}` : ""].filter(Boolean).join(" · ");
  const docs = Array.isArray(stop.documents) && stop.documents.length
    ? stop.documents.map((d) => (d.copies > 1 ? `${d.name} ×${d.copies}` : d.name))
    : [t("handover.docs.bundle", { n: stop.documents_count || 1 })];
  $("ho-doc-list").replaceChildren(
    ...docs.map((name, i) =>
      el("li", {}, el("label", { class: "check", for: `ho-doc-${i}` }, el("input", { id: `ho-doc-${i}`, type: "checkbox", "data-testid": "doc-check" }), ` ${name}`))
    )
  );
}

function openHandover(stop) {
  state.current = stop;
  const action = actionOf(stop);
  const [from, to] = PARTIES[action];
  $("ho-stop").textContent = stopSummary(stop);
  $("ho-direction").textContent = t("handover.from_to", { from: t(`party.${from}`), to: t(`party.${to}`) });
  $("ho-recipient-label").textContent = action === "collect" ? t("handover.recipient_giver") : t("handover.recipient");
  $("handover-form").reset();
  $("ho-error").hidden = true;
  const withApplicant = action === "collect" || action === "hand_over";
  const ident = identityOf(stop);
  const poa = ident.method === "power_of_attorney";
  $("ho-identity").hidden = !withApplicant;
  $("ho-nik-box").hidden = !withApplicant || poa;
  $("ho-poa-box").hidden = !withApplicant || !poa;
  if (poa && ident.representative_name) $("ho-representative").value = ident.representative_name;
  $("ho-recipient").value = withApplicant ? (poa ? ident.representative_name || "" : stop.applicant_name || "") : "";
  renderDocChecklist(stop);
  state.photos.ho = [];
  renderThumbs("ho");
  show("handover");
  if (!state.pad) state.pad = new SignaturePad($("ho-signature"));
  state.pad.resize();
  state.pad.clear();
  locate("ho");
}

function handoverProblem(stop) {
  const action = actionOf(stop);
  if (!$("ho-recipient").value.trim()) return t("handover.need_name");
  if (action === "collect" || action === "hand_over") {
    const ident = identityOf(stop);
    if (ident.method === "power_of_attorney") {
      if (!$("ho-representative").value.trim() || !$("ho-poa-checked").checked) return t("handover.need_identity");
    } else {
      const digits = $("ho-nik").value.trim();
      if (!/^\d{4}$/.test(digits)) return t("handover.need_identity");
      if (ident.nik_last4 && ident.nik_last4 !== digits) return t("handover.nik_mismatch");
    }
  }
  if ([...$("ho-doc-list").querySelectorAll("input[type=checkbox]")].some((box) => !box.checked)) return t("handover.need_docs");
  if (!state.pad || state.pad.isEmpty()) return t("handover.need_signature");
  if (!state.photos.ho.length) return t("handover.need_photo");
  return null;
}

$("handover-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const stop = state.current;
  const problem = handoverProblem(stop);
  if (problem) {
    $("ho-error").textContent = problem;
    $("ho-error").hidden = false;
    return;
  }
  const action = actionOf(stop);
  const [from, to] = PARTIES[action];
  const poa = identityOf(stop).method === "power_of_attorney";
  let identity = null;
  if (action === "collect" || action === "hand_over") {
    identity = poa ? `power_of_attorney:${$("ho-representative").value.trim()}` : `nik_last4:${$("ho-nik").value.trim()}`;
  }
  const fix = state.fix.ho;
  const files = [{ field: "signature", blob: await state.pad.toPNG(), name: "signature.png" }];
  state.photos.ho.forEach((p, i) => files.push({ field: "photos", blob: p.blob, name: `photo-${i + 1}.jpg` }));
  const claim = {
      job_id: stop.job_id,
      stop_id: stop.stop_id,
      from_party: from,
      to_party: to,
      recipient_name: $("ho-recipient").value.trim(),
      identity_note: identity,
      signature_strokes: JSON.stringify(state.pad.toJSON()),
      lat: fix ? fix.lat : null,
      lon: fix ? fix.lon : null,
      accuracy_m: fix ? fix.accuracy_m : null,
      device_time: new Date().toISOString(),
  };
  await outbox.enqueue({
    kind: "handover",
    url: "/api/handovers",
    fields: await signHandover(claim, files), // signed here, before queueing: offline too
    files,
    meta: { stop_id: stop.stop_id, job_id: stop.job_id, label: stop.applicant_name || `#${stop.job_id}` },
  });
  state.local[stop.stop_id] = "queued";
  await saveLocal();
  toast(t("handover.saved"));
  location.hash = "";
});

// ------------------------------------------------------------------ failed attempt
function openAttempt(stop) {
  state.current = stop;
  $("attempt-form").reset();
  $("at-error").hidden = true;
  $("at-stop").textContent = stopSummary(stop);
  state.photos.at = [];
  renderThumbs("at");
  show("attempt");
  locate("at");
}

$("attempt-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const stop = state.current;
  if (!state.photos.at.length) {
    $("at-error").textContent = t("handover.need_photo");
    $("at-error").hidden = false;
    return;
  }
  const fix = state.fix.at;
  await outbox.enqueue({
    kind: "attempt",
    url: "/api/attempts",
    fields: {
      job_id: stop.job_id,
      stop_id: stop.stop_id,
      reason: $("at-reason").value,
      note: $("at-note").value.trim(),
      lat: fix ? fix.lat : null,
      lon: fix ? fix.lon : null,
      accuracy_m: fix ? fix.accuracy_m : null,
      device_time: new Date().toISOString(),
    },
    files: state.photos.at.map((p, i) => ({ field: "photos", blob: p.blob, name: `attempt-${i + 1}.jpg` })),
    meta: { stop_id: stop.stop_id, job_id: stop.job_id, label: stop.applicant_name || `#${stop.job_id}`, attempt: true },
  });
  state.local[stop.stop_id] = "queued";
  await saveLocal();
  toast(t("handover.saved"));
  location.hash = "";
});

// ------------------------------------------------------------------ outbox panel
async function renderOutbox() {
  const items = await outbox.items();
  const pending = items.filter((i) => i.state === "pending");
  const failed = items.filter((i) => i.state === "failed");
  const summary = $("sync-summary");
  const parts = [];
  if (pending.length) parts.push(t("sync.waiting", { n: pending.length }));
  if (failed.length) parts.push(t("sync.attention", { n: failed.length }));
  summary.textContent = parts.length ? parts.join(" · ") : t("sync.all_sent");
  summary.dataset.pending = String(pending.length);
  summary.dataset.failed = String(failed.length);
  $("sync-panel").classList.toggle("has-pending", pending.length > 0);
  $("sync-panel").classList.toggle("has-failed", failed.length > 0);
  const list = $("sync-list");
  list.replaceChildren();
  for (const item of items) {
    const li = el(
      "li",
      { class: `sync-item sync-${item.state}`, "data-testid": "sync-item" },
      el("span", { text: `${t(`sync.kind.${item.kind}`)} ${item.meta && item.meta.label ? item.meta.label : ""}` }),
      el("span", { class: "muted", text: ` — ${t(`sync.state.${item.state}`)}` })
    );
    if (item.error && item.error.message) li.append(el("p", { class: "error", text: item.error.message }));
    if (item.state === "failed") {
      const b = el("button", { class: "btn btn-quiet", type: "button", text: t("sync.discard") });
      b.addEventListener("click", async () => {
        await outbox.discard(item.seq);
        if (item.meta && item.meta.stop_id) {
          delete state.local[item.meta.stop_id];
          await saveLocal();
          renderRoute();
        }
      });
      li.append(b);
    }
    list.append(li);
  }
}

$("sync-now").addEventListener("click", () => outbox.retryFailed());

outbox.configure({ token, unauthorised: expired });
outbox.subscribe(async (event) => {
  if (event.type === "sent" && event.item.meta && event.item.meta.stop_id) {
    state.local[event.item.meta.stop_id] = event.item.meta.attempt ? "failed" : "done";
    await saveLocal();
    renderRoute();
  }
  if (event.type === "failed" && event.item.meta && event.item.meta.stop_id) {
    state.local[event.item.meta.stop_id] = "attention";
    await saveLocal();
    renderRoute();
  }
  renderOutbox();
});

// ------------------------------------------------------------------ duty and position pings
function setDuty(on) {
  state.duty = on;
  localStorage.setItem("ajib.courier.duty", on ? "1" : "0");
  const button = $("duty-toggle");
  button.textContent = on ? t("courier.duty_off") : t("courier.duty_on");
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.title = on ? t("courier.on_duty") : t("courier.off_duty");
  button.classList.toggle("btn-primary", on);
  if (on && !state.stopWatch) {
    state.stopWatch = watch((fix) => state.buffer.push(fix));
  } else if (!on && state.stopWatch) {
    state.stopWatch();
    state.stopWatch = null;
    flushPings();
  }
}

async function flushPings() {
  if (!state.buffer.length || !token()) return;
  const positions = state.buffer.splice(0, state.buffer.length);
  const batchId = outbox.newKey();
  await outbox.enqueue({
    kind: "positions",
    url: "/api/courier/positions",
    json: { batch_id: batchId, positions },
    key: batchId,
    meta: { label: `(${positions.length})` },
  });
}

$("duty-toggle").addEventListener("click", () => setDuty(!state.duty));
setInterval(() => state.duty && flushPings(), PING_EVERY_MS);

// ------------------------------------------------------------------ routing between views
function route() {
  if (!token()) return show("login");
  const [view, id] = location.hash.replace(/^#/, "").split("/");
  const stop = id ? findStop(id) : null;
  if (view === "handover" && stop) return openHandover(stop);
  if (view === "attempt" && stop) return openAttempt(stop);
  show("route");
  renderRoute();
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => {
  setNetState();
  loadRoute();
});
window.addEventListener("offline", setNetState);

let installPrompt = null;
window.addEventListener("beforeinstallprompt", (e) => {
  e.preventDefault();
  installPrompt = e;
  $("install-btn").hidden = false;
});
$("install-btn").addEventListener("click", () => installPrompt && installPrompt.prompt());

async function start() {
  setNetState();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/courier/sw.js", { scope: "/courier/" }).catch((err) => console.warn("sw", err));
  }
  await renderOutbox();
  if (token()) {
    ensureKey(state.auth).catch((err) => console.warn("device key", err));
    await loadRoute();
    if (state.duty) setDuty(true);
    outbox.sync();
  }
  route();
  document.body.dataset.ready = "1";
}

start();
