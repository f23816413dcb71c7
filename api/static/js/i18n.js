// Strings and formatting for every page: the server embeds the catalogue (#ajib-i18n) and settings (#ajib-config).
const catalogue = JSON.parse(document.getElementById("ajib-i18n").textContent);
export const config = JSON.parse(document.getElementById("ajib-config").textContent);
export const lang = config.lang || "id";
export const locale = config.locale || "id-ID";
export const TZ = config.timezone || "Asia/Jakarta";

/** Catalogue lookup with {name} placeholders; a missing key shows as the key (tests catch those). */
export function t(key, params = {}) {
  let text = Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : key;
  for (const [name, value] of Object.entries(params)) text = text.split("{" + name + "}").join(String(value));
  return text;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(catalogue, key);
}

const timeFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TZ });
const dateFmt = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: TZ });
const shortDateFmt = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: TZ });
const shortDayFmt = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone: TZ });
const isoDayFmt = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: TZ });

function asDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "08.30" in WIB (Indonesian uses a dot between hours and minutes). */
export function fmtTime(value) {
  const d = asDate(value);
  return d ? timeFmt.format(d) : "";
}

export function fmtWindow(start, end) {
  const a = fmtTime(start);
  const b = fmtTime(end);
  return a && b ? `${a}–${b}` : a || b;
}

/** A time that stands alone names its zone: "13.11 WIB" ("13:11 WIB" in English). */
export function fmtTimeZ(value) {
  const text = fmtTime(value);
  return text ? `${text} WIB` : "";
}

/** The appointment, everywhere the same: "Senin, 7 Desember 2026, 10.00–12.00 WIB". */
export function fmtAppointment(isoDay, start, end) {
  const day = fmtDay(isoDay || (start ? isoDayFmt.format(new Date(start)) : ""));
  const window = fmtWindow(start, end);
  return [day, window ? `${window} WIB` : ""].filter(Boolean).join(", ");
}

/** A day in a list of days: "Sen, 7 Des". */
export function fmtShortDay(isoDay) {
  return isoDay ? shortDayFmt.format(new Date(`${isoDay}T12:00:00+07:00`)) : "";
}

/** Distances in the page's language: "3,0 km" (Indonesian), "3.0 km" (English); never miles. */
export function fmtKm(km, digits = 1) {
  return km === null || km === undefined || Number.isNaN(Number(km)) ? "" : `${fmtNumber(km, digits)} km`;
}

/** A calendar day (YYYY-MM-DD, a WIB date) spelled out, e.g. "Senin, 2 November 2026". */
export function fmtDay(isoDay) {
  if (!isoDay) return "";
  return dateFmt.format(new Date(`${isoDay}T12:00:00+07:00`));
}

export function fmtDateTime(value) {
  const d = asDate(value);
  return d ? `${shortDateFmt.format(d)} ${timeFmt.format(d)}` : "";
}

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(Number(value));
}

/** Today's date in Jakarta, whatever the device's own time zone. */
export function todayWIB() {
  return isoDayFmt.format(new Date());
}

/** Who to tell and what: the server's message, and the form field it is about (``details.field``), if any. */
export function errorField(err) {
  return (err && err.body && err.body.error && err.body.error.details && err.body.error.details.field) || null;
}

/** Put a server-given error (its message is already in the request's language) or a catalogue text on screen. */
export function errorText(err) {
  if (err && err.body && err.body.error) return err.body.error.message || t("common.error");
  if (err && err.network) return t("common.network_error");
  return t("common.error");
}
