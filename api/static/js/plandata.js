// Reading plan JSON the same way on the board and the printed sheet (tolerant of optional fields).
export function courierOf(route) {
  const c = route.courier;
  if (c && typeof c === "object") return { id: c.id, name: c.name || c.code || `#${c.id}`, code: c.code };
  const id = c !== undefined && c !== null ? c : route.courier_id;
  return { id, name: route.courier_name || `#${id}` };
}

export const JOB_KINDS = new Set(["pickup", "delivery", "job"]);

export function jobStops(route) {
  return (route.stops || []).filter((s) => JOB_KINDS.has(s.kind)).sort((a, b) => a.seq - b.seq);
}

export function allStops(route) {
  return [...(route.stops || [])].sort((a, b) => a.seq - b.seq);
}

export function ms(value) {
  if (!value) return null;
  const v = new Date(value).getTime();
  return Number.isNaN(v) ? null : v;
}

/** Minutes between the planned service start and the end of the applicant's window (negative: late). */
export function slackMinutes(stop) {
  const start = ms(stop.planned_start || stop.eta || stop.planned_arrival);
  const end = ms(stop.window_end);
  if (start === null || end === null) return null;
  return Math.round((end - start) / 60000);
}

function pick(obj, ...names) {
  for (const n of names) if (obj && obj[n] !== undefined && obj[n] !== null) return obj[n];
  return null;
}

/** The five KPIs the board shows, from whatever names the plan's kpis use. */
export function kpiValues(k) {
  if (!k) return null;
  const distanceM = pick(k, "distance_m", "total_distance_m");
  const durationS = pick(k, "duration_s", "work_s", "total_duration_s");
  return {
    jobs_served: pick(k, "jobs_served", "served", "assigned", "jobs_assigned"),
    km: pick(k, "km", "distance_km") ?? (distanceM !== null ? distanceM / 1000 : null),
    hours: pick(k, "working_hours", "hours", "work_hours") ?? (durationS !== null ? durationS / 3600 : null),
    on_time_margin: pick(k, "min_margin_min", "on_time_margin_min", "min_slack_min", "mean_margin_min"),
    on_time_share: (() => {
      const share = pick(k, "on_time_share");
      return share === null ? null : share * 100;
    })(),
    unassigned: pick(k, "unassigned", "unassigned_count", "jobs_unassigned"),
    custody_hours: pick(k, "custody_hours"),
    custody_max: pick(k, "custody_max_min"),
    workload_spread: pick(k, "workload_spread_hours"),
  };
}
