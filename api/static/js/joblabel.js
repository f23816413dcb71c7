// How a dispatcher recognises a job in any list: the applicant's name, application number, kelurahan and the
// booked window with its date — never a database id. Every board list and the route sheet use these.
import { el } from "./dom.js";
import { fmtShortDay, fmtWindow, t } from "./i18n.js";

const isoDay = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: "Asia/Jakarta" });

/** The applicant's name, else the tracking code (a job is never shown as "#151"). */
export function jobName(job) {
  if (!job) return "";
  return job.applicant_name || job.tracking_code || t("dispatcher.job_unknown");
}

/** "Sen, 7 Des 10.00–12.00": the booked window with its date. */
export function jobWindow(job) {
  if (!job || !job.window_start) return "";
  const day = fmtShortDay(isoDay.format(new Date(job.window_start)));
  return `${day} ${fmtWindow(job.window_start, job.window_end)}`;
}

/** Application number · kelurahan · tracking code: the second line under the name. */
export function jobRef(job) {
  if (!job) return "";
  return [job.application_number, job.kelurahan, job.tracking_code].filter(Boolean).join(" · ");
}

/** Urgent and skill marks, as small badges next to the name. */
export function jobBadges(job) {
  const out = [];
  if (job && job.priority > 0) out.push(el("span", { class: "badge urgent", "data-testid": "urgent-badge", text: t("dispatcher.urgent") }));
  for (const s of (job && job.skills) || []) out.push(el("span", { class: "badge skill", text: t("dispatcher.needs_skill", { skill: s }) }));
  return out;
}

/** A table cell naming the job: name (bold) and badges, then its reference line. */
export function jobCell(job) {
  return el("td", { class: "job-cell" }, el("strong", { text: jobName(job) }), ...jobBadges(job), el("br"), el("small", { class: "muted", text: jobRef(job) }));
}

/** Whether the dispatcher's search text finds this job (name, numbers, kelurahan, address, phone). */
export function jobMatches(job, query) {
  const q = (query || "").trim().toLowerCase();
  if (!q) return true;
  if (!job) return false;
  return [job.applicant_name, job.application_number, job.tracking_code, job.kelurahan, job.address, job.phone, job.rt_rw]
    .filter(Boolean)
    .some((v) => String(v).toLowerCase().includes(q));
}
