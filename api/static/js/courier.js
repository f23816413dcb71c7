// Courier PWA: log in once, today's route as stop cards, handovers and failed attempts kept in an IndexedDB
// outbox and sent exactly once (Idempotency-Key) when the network allows, position pings while on duty.
import { el } from "./dom.js";
import { api, ApiError, loadAuth, login, NetworkError, saveAuth } from "./api.js";
import { errorText, fmtDay, fmtTime, fmtWindow, t, todayWIB } from "./i18n.js";
import * as idb from "./idb.js";
import * as outbox from "./outbox.js";
import { SignaturePad } from "./signature.js";
import { ensureKey, signHandover } from "./devicekey.js";
import { downscale } from "./photo.js";
import { currentPosition, watch } from "./geo.js";
import { fitTo, makeMap, numberIcon } from "./leafmap.js";

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

function logout() {
  saveAuth("courier", null);
  state.auth = null;
  setDuty(false);
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

// ------------------------------------------------------------------ route
async function loadRoute() {
  state.local = (await idb.get("kv", `stop-states:${state.day}`)) || {};
  const note = $("route-note");
  note.hidden = true;
  try {
    const data = await api(`/api/courier/route?date=${state.day}`, { token: token() });
    state.route = data;
    await idb.put("kv", data, `route:${state.day}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return logout();
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

function renderRoute() {
  $("route-date").textContent = fmtDay(state.day);
  const list = $("stop-list");
  list.replaceChildren();
  $("route-empty").hidden = state.stops.length > 0;
  let done = 0;
  state.stops.forEach((stop, index) => {
    const st = stopState(stop);
    if (st === "done" || st === "failed" || st === "queued") done += 1;
    list.append(stopCard(stop, index + 1, st));
  });
  $("route-progress").textContent = state.stops.length ? t("courier.stops_done", { done, total: state.stops.length }) : "";
  renderMap();
}

function stopCard(stop, number, st) {
  const action = actionOf(stop);
  const finished = st !== "planned" && st !== "attention";
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
    stop.window_start ? el("strong", { text: `${t("courier.window")} ${fmtWindow(stop.window_start, stop.window_end)}` }) : null,
    stop.eta || stop.planned_arrival ? `${stop.window_start ? " · " : ""}${t("courier.eta")} ${fmtTime(stop.eta || stop.planned_arrival)}` : ""
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
  const contact = el("div", { class: "stop-actions" });
  if (stop.phone) {
    contact.append(el("a", { class: "btn", href: `tel:${stop.phone}`, "data-testid": "call-link", text: t("courier.call") }));
    contact.append(
      el("a", { class: "btn", href: `https://wa.me/${waNumber(stop.phone)}`, target: "_blank", rel: "noopener", "data-testid": "whatsapp-link", text: t("courier.whatsapp") })
    );
  }
  contact.append(el("a", { class: "btn btn-nav", href: navigateUrl(stop), "data-testid": "navigate-link", text: t("courier.navigate") }));
  card.append(contact);
  if (!finished) {
    const work = el("div", { class: "stop-actions" });
    work.append(el("a", { class: "btn btn-primary", href: `#handover/${stop.stop_id}`, "data-testid": "handover-link", text: t("courier.do_handover") }));
    if (action === "collect" || action === "hand_over") {
      work.append(el("a", { class: "btn btn-danger", href: `#attempt/${stop.stop_id}`, "data-testid": "attempt-link", text: t("courier.do_attempt") }));
    }
    card.append(work);
  }
  return card;
}

function renderMap() {
  const box = $("route-map");
  if (!window.L) return;
  if (!state.map) state.map = makeMap(box, { zoom: 12 });
  if (state.mapLayer) state.mapLayer.remove();
  state.mapLayer = L.layerGroup().addTo(state.map);
  const points = [];
  state.stops.forEach((stop, index) => {
    if (!Number.isFinite(stop.lat) || !Number.isFinite(stop.lon)) return;
    const st = stopState(stop);
    points.push([stop.lat, stop.lon]);
    L.marker([stop.lat, stop.lon], { icon: numberIcon(index + 1, "#0b4f8a", st === "planned" ? "" : "done"), title: stop.applicant_name || "" }).addTo(state.mapLayer);
  });
  // the route's line along the roads when the server has one (a road engine planned it), else stop to stop
  const road = state.route && Array.isArray(state.route.geometry) ? state.route.geometry : [];
  const line = road.length > 1 ? road : points;
  if (line.length > 1) L.polyline(line, { color: "#0b4f8a", weight: 4, opacity: 0.8 }).addTo(state.mapLayer);
  setTimeout(() => {
    state.map.invalidateSize();
    fitTo(state.map, points);
  }, 0);
}

$("route-refresh").addEventListener("click", () => loadRoute());

// ------------------------------------------------------------------ handover
function findStop(stopId) {
  return state.stops.find((s) => String(s.stop_id) === String(stopId));
}

function showFix(prefix, fix) {
  $(`${prefix}-gps`).textContent = fix
    ? `${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)} — ${t("handover.gps_accuracy", { m: Math.round(fix.accuracy_m) })}`
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
  return [stop.applicant_name, stop.address, fmtWindow(stop.window_start, stop.window_end)].filter(Boolean).join(" · ");
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

outbox.configure({ token, unauthorised: logout });
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
