// What publishing a draft changes for the couriers, against the plan they are working from: jobs added to or
// removed from the routes, jobs given to another courier, and visits whose planned time shifts.
import { courierOf, jobStops, ms } from "./plandata.js";

const SHIFT_MIN = 15; // a planned time moving less than this is not worth a courier's attention

function placements(plan) {
  const out = new Map();
  for (const route of (plan && plan.routes) || []) {
    const courier = courierOf(route);
    for (const s of jobStops(route)) {
      if (s.job_id === null || s.job_id === undefined || out.has(s.job_id)) continue;
      out.set(s.job_id, { courier, time: ms(s.planned_start || s.planned_arrival), job: s.job || { applicant_name: s.applicant_name, tracking_code: s.tracking_code } });
    }
  }
  return out;
}

/** `{added, removed, moved, shifted}`: each a list of `{job, from?, to?, minutes?}` (couriers as `{id, name}`). */
export function planDiff(published, draft) {
  const before = placements(published);
  const after = placements(draft);
  const diff = { added: [], removed: [], moved: [], shifted: [] };
  for (const [id, now] of after) {
    const was = before.get(id);
    if (!was) diff.added.push({ job: now.job, to: now.courier });
    else if (String(was.courier.id) !== String(now.courier.id)) diff.moved.push({ job: now.job, from: was.courier, to: now.courier });
    else if (was.time !== null && now.time !== null && Math.abs(now.time - was.time) >= SHIFT_MIN * 60000) {
      diff.shifted.push({ job: now.job, to: now.courier, from_time: was.time, to_time: now.time, minutes: Math.round((now.time - was.time) / 60000) });
    }
  }
  for (const [id, was] of before) if (!after.has(id)) diff.removed.push({ job: was.job, from: was.courier });
  return diff;
}

export function isEmpty(diff) {
  return !diff.added.length && !diff.removed.length && !diff.moved.length && !diff.shifted.length;
}
