// The board's "day as run" panel: on-time share against the booked window, failed attempts by reason, minutes
// documents spent on bikes and IKM — per week and per courier of the board's office, as charts and a table.
// A module of its own (like ikm-panel.js): it reads the board's office select and auth.
import { el } from "./dom.js";
import { api, loadAuth } from "./api.js";
import { barChart } from "./charts.js";
import { errorText, fmtNumber, fmtShortDay, t, todayWIB } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const pct = (share) => (share === null || share === undefined ? "—" : `${fmtNumber(share * 100, 0)}%`);
const minutes = (m) => (m === null || m === undefined ? "—" : t("common.minutes", { n: fmtNumber(m, 0) }));

function shiftDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const reasonText = (r) => {
  const key = `attempt.reason.${r}`;
  const text = t(key);
  return text === key ? r : text;
};

function weekLabel(key) {
  return t("run.week_of", { day: fmtShortDay(key) });
}

function row(f, label) {
  const reasons = Object.entries(f.failed_by_reason).map(([r, n]) => `${reasonText(r)} ${fmtNumber(n)}`).join(", ");
  return el(
    "tr",
    { "data-key": f.key },
    el("td", { text: label }),
    el("td", { text: fmtNumber(f.visits) }),
    el("td", { text: `${pct(f.on_time_share)} (${fmtNumber(f.on_time)}/${fmtNumber(f.visits)})` }),
    el("td", { text: f.failed ? `${fmtNumber(f.failed)}: ${reasons}` : "0" }),
    el("td", { text: f.custody_bundles ? `${minutes(f.custody_mean_min)} (${t("run.max")} ${minutes(f.custody_max_min)})` : "—" }),
    el("td", { text: f.ikm ? `${fmtNumber(f.ikm.value, 2)} · ${f.ikm.grade}` : "—" })
  );
}

let asked = 0; // the latest request wins: an earlier, slower answer is not drawn over it

async function load() {
  const mine = ++asked;
  const auth = loadAuth("staff");
  const office = $("office") ? $("office").value : "";
  if (!auth || !office) return;
  if (!$("run-to").value) $("run-to").value = todayWIB();
  if (!$("run-from").value) $("run-from").value = shiftDays($("run-to").value, -27);
  const params = new URLSearchParams({ from: $("run-from").value, to: $("run-to").value });
  let data;
  try {
    data = await api(`/api/offices/${office}/performance?${params}`, { token: auth.access_token });
  } catch (err) {
    if (mine === asked) $("run-overall").textContent = errorText(err);
    return;
  }
  if (mine !== asked) return;
  const o = data.overall;
  $("run-overall").textContent = !o.visits && !o.failed ? t("run.none", { ikm: o.ikm ? `${fmtNumber(o.ikm.value, 2)} (${o.ikm.grade})` : "—" }) : t("run.overall", {
    on_time: pct(o.on_time_share),
    visits: fmtNumber(o.visits),
    failed: fmtNumber(o.failed),
    custody: minutes(o.custody_mean_min),
    ikm: o.ikm ? `${fmtNumber(o.ikm.value, 2)} (${o.ikm.grade})` : "—",
  });
  $("run-chart-week").replaceChildren(
    barChart(data.weeks.map((w) => ({ label: weekLabel(w.key), value: w.on_time_share === null ? 0 : w.on_time_share * 100, text: pct(w.on_time_share), cls: w.on_time_share !== null && w.on_time_share < 0.9 ? "bad" : "" })), { max: 100, title: t("run.chart.on_time_week") })
  );
  $("run-chart-failed").replaceChildren(
    barChart(Object.entries(o.failed_by_reason).map(([r, n]) => ({ label: reasonText(r), value: n, text: fmtNumber(n), cls: "bad" })), { title: t("run.chart.failed") })
  );
  $("run-chart-custody").replaceChildren(
    barChart(data.couriers.filter((c) => c.custody_bundles).map((c) => ({ label: c.label, value: c.custody_mean_min, text: minutes(c.custody_mean_min) })), { title: t("run.chart.custody") })
  );
  $("run-body").replaceChildren(
    row(o, t("run.whole_office")),
    ...data.weeks.map((w) => row(w, weekLabel(w.key))),
    ...data.couriers.map((c) => row(c, c.label))
  );
}

$("run-controls").addEventListener("submit", (ev) => {
  ev.preventDefault();
  load();
});
$("tab-run").addEventListener("click", load);
