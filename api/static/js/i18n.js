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

/** Put a server-given error (its message is already in the request's language) or a catalogue text on screen. */
export function errorText(err) {
  if (err && err.body && err.body.error) return err.body.error.message || t("common.error");
  if (err && err.network) return t("common.network_error");
  return t("common.error");
}
