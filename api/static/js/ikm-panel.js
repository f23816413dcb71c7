// The board's satisfaction panel: IKM (Permenpan RB 14/2017) of the chosen office, per courier, month or office.
// A module of its own so the board's script stays untouched: it reads the board's office select and auth.
import { el } from "./dom.js";
import { api, loadAuth } from "./api.js";
import { errorText, fmtNumber, locale, t, todayWIB } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const monthFmt = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" });

function months(count = 12) {
  const [y, m] = todayWIB().split("-").map(Number);
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

function bounds(month) {
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, "0")}`];
}

for (const month of months()) {
  const [y, m] = month.split("-").map(Number);
  $("ikm-month").append(el("option", { value: month, text: monthFmt.format(new Date(Date.UTC(y, m - 1, 1))) }));
}

async function load() {
  const auth = loadAuth("staff");
  if (!auth) return;
  const office = $("office") ? $("office").value : "";
  const group = $("ikm-group").value;
  const [from, to] = group === "month" ? [`${months(12).at(-1)}-01`, bounds($("ikm-month").value)[1]] : bounds($("ikm-month").value);
  const params = new URLSearchParams({ from, to, group });
  if (office) params.set("office_id", office);
  let data;
  try {
    data = await api(`/api/ikm?${params}`, { token: auth.access_token });
  } catch (err) {
    $("ikm-overall").textContent = errorText(err);
    return;
  }
  const overall = data.overall;
  $("ikm-overall").textContent = overall
    ? t("ikm.overall", { value: fmtNumber(overall.value, 2), grade: overall.grade, label: overall.label, n: overall.responses })
    : t("ikm.none");
  $("ikm-overall").dataset.grade = overall ? overall.grade : "";
  const monthName = (key) => {
    const [y, m] = key.split("-").map(Number);
    return monthFmt.format(new Date(Date.UTC(y, m - 1, 1)));
  };
  $("ikm-groups").replaceChildren(
    ...data.groups.map((g) =>
      el("tr", {},
        el("td", { text: group === "month" ? monthName(g.key) : g.label || t("ikm.no_courier") }),
        el("td", { text: fmtNumber(g.index.responses) }),
        el("td", { text: fmtNumber(g.index.value, 2) }),
        el("td", { text: `${g.index.grade} · ${g.index.label}` }),
      ),
    ),
  );
  $("ikm-elements").replaceChildren(
    ...(overall ? overall.elements : []).map((e) => el("tr", {}, el("td", { text: e.label }), el("td", { text: fmtNumber(e.mean, 2) }))),
  );
}

$("ikm-controls").addEventListener("submit", (ev) => {
  ev.preventDefault();
  load();
});
$("tab-ikm").addEventListener("click", load);
