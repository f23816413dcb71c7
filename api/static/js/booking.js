// Applicant booking: kelurahan picker + map pin, only the windows GET /api/slots offers, one idempotent POST.
import { api, ApiError } from "./api.js";
import { el } from "./dom.js";
import { errorField, errorText, fmtAppointment, fmtNumber, fmtShortDay, fmtWindow, t } from "./i18n.js";
import { copyText, downloadCalendar, shareText, whatsappUrl } from "./share.js";
import { currentPosition } from "./geo.js";
import { keepView, makeMap, showOffice } from "./leafmap.js";
import { newKey } from "./uuid.js";

const $ = (id) => document.getElementById(id);
const state = { lat: null, lon: null, kelurahan: null, place: null, marker: null, map: null, key: newKey(), docCount: 0, day: null, keepWindow: null };
const DRAFT_KEY = "ajib.booking.draft";
// An issued permit's invitation (/booking?delivery=CODE&t=TOKEN): the delivery job exists already, with its
// address; the applicant only chooses the day and window.
const query = new URLSearchParams(window.location.search);
const invite = query.get("delivery") && query.get("t") ? { code: query.get("delivery"), token: query.get("t") } : null;
const invitePath = (what) => `/api/bookings/${encodeURIComponent(invite.code)}/${what}`;

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
const fmtCoord = (x) => fmtNumber(x, 5);
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
    keepView(state.map);
  }
  $("pin-text").textContent = t("booking.pin_set", { lat: fmtCoord(state.lat), lon: fmtCoord(state.lon) });
  hideError("err-pin");
  saveDraft();
  scheduleWindows();
  placePin(state.lat, state.lon);
}

let placeRequest = 0;
/** Where the pin is: its kelurahan, and the office that will serve it (the pin decides, not the kelurahan typed).
 * When a moved pin lands where another office serves, the applicant is told in words, not left to notice a
 * changed office name. */
async function placePin(lat, lon) {
  const request = ++placeRequest;
  let where;
  try {
    where = await api(`/api/geo/locate?${new URLSearchParams({ lat, lon })}`);
  } catch (err) {
    if (request !== placeRequest) return;
    $("pin-place").textContent = err instanceof ApiError ? errorText(err) : "";
    $("pin-place").hidden = !(err instanceof ApiError);
    return;
  }
  if (request !== placeRequest) return;
  const before = state.place;
  state.place = { kelurahan: where.kelurahan, kecamatan: where.kecamatan, office: where.office };
  const otherOffice = before && before.office && where.office && before.office.id !== where.office.id;
  const note = $("pin-place");
  if (otherOffice) {
    note.textContent = t("booking.pin_other_office", { kelurahan: where.kelurahan.name, office: where.office.name, before: before.office.name });
    note.classList.add("notice");
  } else {
    note.textContent = where.office ? t("booking.pin_place", { kelurahan: where.kelurahan.name, kecamatan: where.kecamatan.name, office: where.office.name }) : "";
    note.classList.remove("notice");
  }
  note.hidden = !note.textContent;
  if (state.map && where.office) showOffice(state.map, where.office.id);
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

// ---------------------------------------------------------------- days and windows
function kind() {
  return document.querySelector("input[name=kind]:checked").value;
}

// Several things ask for days and windows (pin moved, kind changed, a day chosen); only the latest request may
// draw its list, or a slow earlier answer would redraw it under the applicant's choice.
let daysTimer = null;
let daysRequest = 0;
let windowsRequest = 0;
function scheduleWindows() {
  clearTimeout(daysTimer);
  daysTimer = setTimeout(loadDays, 300);
}

/** The next days with how many windows each still has: the applicant picks a day with room, no guessing. */
async function loadDays() {
  clearTimeout(daysTimer);
  const request = ++daysRequest;
  const box = $("days");
  if (state.lat === null && !invite) {
    $("days-note").textContent = t("booking.windows_need_location");
    $("days-note").hidden = false;
    return;
  }
  let data;
  try {
    if (invite) {
      data = await api(`${invitePath("delivery-days")}?${new URLSearchParams({ t: invite.token })}`);
    } else {
      const params = new URLSearchParams({ lat: state.lat, lon: state.lon, kind: kind(), documents: Math.max(documents().length, 1) });
      data = await api(`/api/slots/days?${params}`);
    }
  } catch (err) {
    if (request !== daysRequest) return;
    $("days-note").textContent = errorText(err);
    $("days-note").hidden = false;
    return;
  }
  if (request !== daysRequest) return;
  $("office-note").textContent = data.office ? t("booking.office", { office: data.office.name }) : "";
  box.replaceChildren();
  let firstFree = null;
  data.days.forEach((d, i) => {
    const id = `day-${i}`;
    const input = el("input", { type: "radio", name: "day", id, value: d.date });
    const free = d.free_windows > 0;
    input.disabled = !free;
    const none = { past: "booking.day_past", not_open: "booking.day_not_open" }[d.why_none] || "booking.day_full";
    const status = d.closed ? t("booking.day_closed", { reason: d.closed }) : free ? t("booking.day_free", { n: d.free_windows }) : t(none);
    const label = el("label", { class: `day-option${free ? "" : " day-off"}`, for: id }, input,
      el("span", { class: "day-name", text: fmtShortDay(d.date) }), el("span", { class: "day-status", text: status }));
    if (free && firstFree === null) firstFree = d.date;
    input.addEventListener("change", () => chooseDay(d.date));
    box.append(label);
  });
  $("days-note").textContent = firstFree ? t("booking.days_hint") : t("booking.days_none");
  $("days-note").hidden = false;
  const keep = data.days.find((d) => d.date === state.day && d.free_windows > 0);
  if (keep) {
    box.querySelector(`input[value="${keep.date}"]`).checked = true;
    loadWindows();
  } else {
    state.day = null;
    $("window-set").hidden = true;
    $("windows").replaceChildren();
  }
}

function chooseDay(day) {
  state.day = day;
  hideError("err-window");
  saveDraft();
  loadWindows();
}

async function loadWindows() {
  const request = ++windowsRequest;
  const note = $("windows-note");
  const box = $("windows");
  note.hidden = true;
  if ((state.lat === null && !invite) || !state.day) return;
  let data;
  try {
    if (invite) {
      data = await api(`${invitePath("delivery-windows")}?${new URLSearchParams({ date: state.day, t: invite.token })}`);
    } else {
      data = await api(`/api/slots?${new URLSearchParams({ date: state.day, lat: state.lat, lon: state.lon, kind: kind() })}`);
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
  const keep = previous ? previous.value : state.keepWindow;
  const offered = (data.windows || []).filter((w) => w.available);
  box.replaceChildren();
  offered.forEach((w, i) => {
    const input = el("input", { type: "radio", name: "window_start", id: `win-${i}`, value: w.start });
    input.checked = w.start === keep;
    input.addEventListener("change", () => {
      state.keepWindow = w.start;
      hideError("err-window");
      saveDraft();
    });
    box.append(el("label", { class: "window-option", for: `win-${i}` }, input, fmtWindow(w.start, w.end)));
  });
  $("windows-legend").textContent = t("booking.windows_on", { day: fmtAppointment(state.day) });
  $("window-set").hidden = offered.length === 0;
  if (!offered.length) {
    note.textContent = t("booking.windows_none");
    note.hidden = false;
  }
}

for (const r of document.querySelectorAll("input[name=kind]")) r.addEventListener("change", scheduleWindows);

// ---------------------------------------------------------------- field messages
const FIELD_IDS = {
  application_number: "bk-application",
  applicant_name: "bk-name",
  phone: "bk-phone",
  nik_last4: "bk-nik",
  address_text: "bk-address",
  documents: "docs",
  location: "pin",
  window_start: "window",
  date: "window",
};

function showError(errId, text, focusId) {
  const box = $(errId);
  box.textContent = text;
  box.hidden = false;
  const input = focusId && $(focusId);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", errId);
  }
  return box;
}

function hideError(errId) {
  const box = $(errId);
  if (!box) return;
  box.hidden = true;
  const input = $(errId.replace(/^err-/, ""));
  if (input) input.removeAttribute("aria-invalid");
}

/** Each missing or malformed field says so under itself; the first one gets the focus. */
function checkForm() {
  const problems = [];
  const need = [
    ["bk-application", "booking.need_application"],
    ["bk-name", "booking.need_name"],
    ["bk-phone", "booking.need_phone"],
    ["bk-address", "booking.need_address"],
  ];
  for (const [id, key] of need) if (!$(id).value.trim()) problems.push([`err-${id}`, t(key), id]);
  const phone = $("bk-phone").value.replace(/[\s().-]/g, "");
  if (phone && !/^(\+?62|0)8[1-9][0-9]{6,10}$/.test(phone)) problems.push(["err-bk-phone", t("booking.bad_phone"), "bk-phone"]);
  const nik = $("bk-nik").value.trim();
  if (nik && !/^[0-9]{4}$/.test(nik)) problems.push(["err-bk-nik", t("booking.bad_nik"), "bk-nik"]);
  if (!documents().length) problems.push(["err-docs", t("booking.need_documents"), null]);
  if (state.lat === null) problems.push(["err-pin", t("booking.need_location"), "bk-kelurahan"]);
  else if (!state.day) problems.push(["err-window", t("booking.need_day"), null]);
  else if (!document.querySelector("input[name=window_start]:checked")) problems.push(["err-window", t("booking.need_window"), null]);
  return problems;
}

for (const id of ["bk-application", "bk-name", "bk-phone", "bk-nik", "bk-address"]) {
  $(id).addEventListener("input", () => hideError(`err-${id}`));
}

// ---------------------------------------------------------------- submit
$("booking-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = $("booking-error");
  error.hidden = true;
  for (const box of document.querySelectorAll(".field-error")) box.hidden = true;
  const form = ev.target;
  if (invite) {
    await bookInvitedDelivery(form, error);
    return;
  }
  const problems = checkForm();
  if (problems.length) {
    for (const [errId, text, focusId] of problems) showError(errId, text, focusId);
    error.textContent = t("booking.fix_fields", { n: problems.length });
    error.hidden = false;
    const first = problems[0];
    const target = (first[2] && $(first[2])) || $(first[0]);
    target.scrollIntoView({ block: "center" });
    if (first[2]) $(first[2]).focus();
    return;
  }
  const chosen = form.querySelector("input[name=window_start]:checked");
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
    date: state.day,
    window_start: chosen.value,
    documents: documents(),
  };
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const done = await api("/api/bookings", { method: "POST", json: body, headers: { "Idempotency-Key": state.key } });
    sessionStorage.removeItem(DRAFT_KEY);
    showDone(done);
  } catch (err) {
    if (err instanceof ApiError && err.code === "slot_unavailable") {
      error.textContent = t("booking.slot_taken");
      state.key = newKey();
      loadDays();
    } else {
      error.textContent = errorText(err);
      const field = errorField(err) || (err instanceof ApiError ? { invalid_phone: "phone", invalid_application_number: "application_number", invalid_documents: "documents" }[err.code] : null);
      if (field && FIELD_IDS[field]) showError(`err-${FIELD_IDS[field]}`, errorText(err), $(FIELD_IDS[field]) ? FIELD_IDS[field] : null);
      if (err instanceof ApiError) state.key = newKey();
    }
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
});

/** An invited delivery: only the day and window are chosen here; the job and its address exist already. */
async function bookInvitedDelivery(form, error) {
  const chosen = form.querySelector("input[name=window_start]:checked");
  if (!state.day || !chosen) {
    showError("err-window", t(state.day ? "booking.need_window" : "booking.need_day"), null);
    error.textContent = t("booking.fix_fields", { n: 1 });
    error.hidden = false;
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const body = { t: invite.token, date: state.day, window_start: chosen.value };
    showDone(await api(invitePath("delivery-window"), { method: "POST", json: body }));
  } catch (err) {
    const taken = err instanceof ApiError && err.code === "slot_unavailable";
    error.textContent = taken ? t("booking.slot_taken") : errorText(err);
    error.hidden = false;
    if (taken) loadDays();
  } finally {
    submit.disabled = false;
  }
}

function showDone(done) {
  $("booking-form").hidden = true;
  $("booking-done").hidden = false;
  const code = done.tracking_code;
  $("done-code").textContent = code;
  $("done-link").href = done.tracking_url || `/track/${encodeURIComponent(code)}#s=${encodeURIComponent(done.secret)}`;
  const w = done.window || {};
  $("done-appointment").textContent = fmtAppointment(done.date, w.start, w.end);
  $("done-office").textContent = done.office ? t("booking.office", { office: done.office.name }) : "";
  $("done-whatsapp").href = whatsappUrl(shareText(code, done.date, w.start, w.end));
  $("done-copy").addEventListener("click", async () => {
    $("done-copied").textContent = (await copyText(code)) ? t("share.copied") : code;
  });
  $("done-ics").addEventListener("click", () =>
    downloadCalendar(code, { secret: done.secret }).catch((err) => ($("done-copied").textContent = errorText(err))),
  );
  if (done.secret) localStorage.setItem(`ajib.track.${code}`, done.secret);
  window.scrollTo(0, 0);
}

// ---------------------------------------------------------------- draft (survives a language switch)
// The language link reloads the page; the form is kept for this tab only (sessionStorage), never sent anywhere.
function saveDraft() {
  const fields = {};
  for (const id of ["bk-application", "bk-name", "bk-phone", "bk-nik", "bk-representative", "bk-address", "bk-rtrw", "bk-notes"]) fields[id] = $(id).value;
  const docs = [...$("doc-rows").children].map((row) => [row.querySelector("input[name=doc_name]").value, row.querySelector("input[name=doc_copies]").value]);
  const draft = { kind: kind(), fields, docs, kelurahan: state.kelurahan, lat: state.lat, lon: state.lon, day: state.day, window: state.keepWindow };
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    /* private mode: nothing kept */
  }
}

function restoreDraft() {
  let draft = null;
  try {
    draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
  } catch {
    draft = null;
  }
  if (!draft || typeof draft !== "object") return false;
  const radio = document.querySelector(`input[name=kind][value="${draft.kind === "delivery" ? "delivery" : "pickup"}"]`);
  radio.checked = true;
  for (const [id, value] of Object.entries(draft.fields || {})) if ($(id) && typeof value === "string") $(id).value = value;
  for (const [name, copies] of Array.isArray(draft.docs) && draft.docs.length ? draft.docs : [["", "1"]]) {
    addDocRow(String(name || ""));
    $("doc-rows").lastElementChild.querySelector("input[name=doc_copies]").value = String(copies || "1");
  }
  if (draft.kelurahan && typeof draft.kelurahan === "object") {
    state.kelurahan = draft.kelurahan;
    $("bk-kelurahan").value = String(draft.kelurahan.name || "");
    $("kelurahan-chosen").textContent = [draft.kelurahan.name, draft.kelurahan.kecamatan, draft.kelurahan.kota].filter(Boolean).join(", ");
  }
  state.day = typeof draft.day === "string" ? draft.day : null;
  state.keepWindow = typeof draft.window === "string" ? draft.window : null;
  if (Number.isFinite(draft.lat) && Number.isFinite(draft.lon)) setPin(draft.lat, draft.lon);
  return true;
}

$("booking-form").addEventListener("input", saveDraft);
$("booking-form").addEventListener("change", saveDraft);

// ---------------------------------------------------------------- start
if (invite) {
  for (const id of ["applicant-card", "documents-card", "address-card"]) $(id).hidden = true;
  $("delivery-invite").hidden = false;
  $("delivery-intro").textContent = t("booking.delivery_intro", { code: invite.code });
  loadDays();
} else if (window.L) {
  state.map = makeMap($("pin-map"), { zoom: 11 });
  state.map.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng, { pan: false }));
}
if (invite) addDocRow();
else if (!restoreDraft()) addDocRow();
const askedKind = new URLSearchParams(location.search).get("kind");
if (askedKind === "delivery" || askedKind === "pickup") document.querySelector(`input[name=kind][value=${askedKind}]`).checked = true;
document.body.dataset.ready = "1";
