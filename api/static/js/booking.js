// Applicant booking: kelurahan picker + map pin, only the windows GET /api/slots offers, one idempotent POST.
import { api, ApiError } from "./api.js";
import { errorText, fmtWindow, t, todayWIB } from "./i18n.js";
import { currentPosition } from "./geo.js";
import { makeMap } from "./leafmap.js";
import { newKey } from "./uuid.js";

const $ = (id) => document.getElementById(id);
const state = { lat: null, lon: null, kelurahan: null, marker: null, map: null, key: newKey(), docCount: 0 };
// An issued permit's invitation (/booking?delivery=CODE&t=TOKEN): the delivery job exists already, with its
// address; the applicant only chooses the day and window.
const query = new URLSearchParams(window.location.search);
const invite = query.get("delivery") && query.get("t") ? { code: query.get("delivery"), token: query.get("t") } : null;

// ---------------------------------------------------------------- documents
function addDocRow(name = "") {
  const row = $("doc-row").content.firstElementChild.cloneNode(true);
  state.docCount += 1;
  for (const input of row.querySelectorAll("input")) {
    input.id = `doc-${input.name}-${state.docCount}`;
    input.previousElementSibling.htmlFor = input.id;
  }
  row.querySelector("input[name=doc_name]").value = name;
  row.querySelector(".doc-remove").addEventListener("click", () => {
    if ($("doc-rows").children.length > 1) row.remove();
  });
  $("doc-rows").append(row);
}

function documents() {
  return [...$("doc-rows").children]
    .map((row) => ({
      name: row.querySelector("input[name=doc_name]").value.trim(),
      copies: Number(row.querySelector("input[name=doc_copies]").value) || 1,
    }))
    .filter((d) => d.name);
}

$("doc-add").addEventListener("click", () => addDocRow());

// ---------------------------------------------------------------- location
function setPin(lat, lon, { pan = true } = {}) {
  state.lat = Math.round(lat * 1e6) / 1e6;
  state.lon = Math.round(lon * 1e6) / 1e6;
  if (state.map) {
    if (!state.marker) {
      state.marker = L.marker([lat, lon], { draggable: true }).addTo(state.map);
      state.marker.on("dragend", () => {
        const p = state.marker.getLatLng();
        setPin(p.lat, p.lng, { pan: false });
      });
    } else {
      state.marker.setLatLng([lat, lon]);
    }
    if (pan) state.map.setView([lat, lon], 16);
  }
  $("pin-text").textContent = t("booking.pin_set", { lat: state.lat.toFixed(5), lon: state.lon.toFixed(5) });
  scheduleWindows();
}

let searchTimer = null;
$("bk-kelurahan").addEventListener("input", (ev) => {
  clearTimeout(searchTimer);
  const q = ev.target.value.trim();
  searchTimer = setTimeout(() => searchKelurahan(q), 250);
});

async function searchKelurahan(q) {
  const list = $("kelurahan-list");
  if (q.length < 2) {
    list.hidden = true;
    $("bk-kelurahan").setAttribute("aria-expanded", "false");
    return;
  }
  let rows = [];
  try {
    rows = await api(`/api/geo/kelurahan?q=${encodeURIComponent(q)}`);
  } catch {
    rows = [];
  }
  list.replaceChildren();
  if (!rows.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = t("booking.kelurahan_none");
    list.append(li);
  }
  for (const row of rows.slice(0, 8)) {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.code = row.code;
    button.textContent = [row.name, row.kecamatan, row.kota].filter(Boolean).join(", ");
    button.addEventListener("click", () => chooseKelurahan(row));
    li.append(button);
    list.append(li);
  }
  list.hidden = false;
  $("bk-kelurahan").setAttribute("aria-expanded", "true");
}

function chooseKelurahan(row) {
  state.kelurahan = row;
  $("bk-kelurahan").value = row.name;
  $("kelurahan-list").hidden = true;
  $("bk-kelurahan").setAttribute("aria-expanded", "false");
  $("kelurahan-chosen").textContent = [row.name, row.kecamatan, row.kota].filter(Boolean).join(", ");
  if (Number.isFinite(row.lat) && Number.isFinite(row.lon)) setPin(row.lat, row.lon);
}

$("use-gps").addEventListener("click", async () => {
  const fix = await currentPosition();
  if (fix) setPin(fix.lat, fix.lon);
  else $("pin-text").textContent = t("handover.gps_denied");
});

// ---------------------------------------------------------------- windows
function kind() {
  return document.querySelector("input[name=kind]:checked").value;
}

// Several things ask for windows (pin moved, date or kind changed, the button); only the latest request may
// draw the list, or a slow earlier answer would redraw it under the applicant's chosen window.
let windowsTimer = null;
let windowsRequest = 0;
function scheduleWindows() {
  clearTimeout(windowsTimer);
  windowsTimer = setTimeout(loadWindows, 300);
}

async function loadWindows() {
  clearTimeout(windowsTimer);
  const request = ++windowsRequest;
  const note = $("windows-note");
  const box = $("windows");
  note.hidden = true;
  if (state.lat === null && !invite) {
    note.textContent = t("booking.windows_need_location");
    note.hidden = false;
    return;
  }
  let data;
  try {
    if (invite) {
      const params = new URLSearchParams({ date: $("bk-date").value, t: invite.token });
      data = await api(`/api/bookings/${encodeURIComponent(invite.code)}/delivery-windows?${params}`);
    } else {
      const params = new URLSearchParams({ date: $("bk-date").value, lat: state.lat, lon: state.lon, kind: kind() });
      data = await api(`/api/slots?${params}`);
    }
  } catch (err) {
    if (request !== windowsRequest) return;
    box.replaceChildren();
    $("window-set").hidden = true;
    note.textContent = errorText(err);
    note.hidden = false;
    return;
  }
  if (request !== windowsRequest) return;
  const previous = box.querySelector("input[name=window_start]:checked");
  const keep = previous ? previous.value : null;
  $("office-note").textContent = data.office ? t("booking.office", { office: data.office.name || data.office }) : "";
  const offered = (data.windows || []).filter((w) => w.available);
  box.replaceChildren();
  offered.forEach((w, i) => {
    const id = `win-${i}`;
    const label = document.createElement("label");
    label.className = "window-option";
    label.htmlFor = id;
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "window_start";
    input.id = id;
    input.value = w.start;
    input.required = true;
    input.checked = w.start === keep;
    label.append(input, document.createTextNode(w.label || fmtWindow(w.start, w.end)));
    box.append(label);
  });
  $("window-set").hidden = offered.length === 0;
  if (!offered.length) {
    note.textContent = t("booking.windows_none");
    note.hidden = false;
  }
}

$("load-windows").addEventListener("click", loadWindows);
$("bk-date").addEventListener("change", scheduleWindows);
for (const r of document.querySelectorAll("input[name=kind]")) r.addEventListener("change", scheduleWindows);

// ---------------------------------------------------------------- submit
$("booking-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = $("booking-error");
  error.hidden = true;
  const form = ev.target;
  const chosen = form.querySelector("input[name=window_start]:checked");
  if (invite) {
    await bookInvitedDelivery(form, chosen, error);
    return;
  }
  const docs = documents();
  const required = ["bk-application", "bk-name", "bk-phone", "bk-address"];
  const missing = required.find((id) => !$(id).value.trim());
  if (missing || !chosen || !docs.length || state.lat === null) {
    error.textContent = !chosen ? t("booking.windows") : t("common.error");
    if (missing) $(missing).focus();
    error.hidden = false;
    return;
  }
  const body = {
    kind: kind(),
    application_number: $("bk-application").value.trim(),
    applicant_name: $("bk-name").value.trim(),
    phone: $("bk-phone").value.trim(),
    nik_last4: $("bk-nik").value.trim() || null,
    representative_name: $("bk-representative").value.trim() || null,
    address_text: $("bk-address").value.trim(),
    rt_rw: $("bk-rtrw").value.trim() || null,
    access_notes: $("bk-notes").value.trim() || null,
    lat: state.lat,
    lon: state.lon,
    kelurahan_code: state.kelurahan ? state.kelurahan.code : null,
    date: $("bk-date").value,
    window_start: chosen.value,
    documents: docs,
  };
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const done = await api("/api/bookings", { method: "POST", json: body, headers: { "Idempotency-Key": state.key } });
    showDone(done);
  } catch (err) {
    if (err instanceof ApiError && err.code === "slot_unavailable") {
      error.textContent = t("booking.slot_taken");
      state.key = newKey();
      loadWindows();
    } else {
      error.textContent = errorText(err);
      if (err instanceof ApiError) state.key = newKey();
    }
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
});

async function bookInvitedDelivery(form, chosen, error) {
  if (!chosen) {
    error.textContent = t("booking.windows");
    error.hidden = false;
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const body = { t: invite.token, date: $("bk-date").value, window_start: chosen.value };
    showDone(await api(`/api/bookings/${encodeURIComponent(invite.code)}/delivery-window`, { method: "POST", json: body }));
  } catch (err) {
    error.textContent = err instanceof ApiError && err.code === "slot_unavailable" ? t("booking.slot_taken") : errorText(err);
    error.hidden = false;
    if (err instanceof ApiError && err.code === "slot_unavailable") loadWindows();
  } finally {
    submit.disabled = false;
  }
}

function showDone(done) {
  $("booking-form").hidden = true;
  $("booking-done").hidden = false;
  $("done-code").textContent = done.tracking_code;
  const link = done.tracking_url || `/track/${encodeURIComponent(done.tracking_code)}?secret=${encodeURIComponent(done.secret)}`;
  $("done-link").href = link;
  if (done.window) $("done-window").textContent = done.window.label || fmtWindow(done.window.start, done.window.end);
  window.scrollTo(0, 0);
}

// ---------------------------------------------------------------- start
$("bk-date").value = todayWIB();
$("bk-date").min = todayWIB();
addDocRow();
if (invite) {
  for (const id of ["applicant-card", "documents-card", "address-card"]) $(id).hidden = true;
  $("delivery-invite").hidden = false;
  $("delivery-intro").textContent = t("booking.delivery_intro", { code: invite.code });
} else if (window.L) {
  state.map = makeMap($("pin-map"), { zoom: 11 });
  state.map.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng, { pan: false }));
}
document.body.dataset.ready = "1";
