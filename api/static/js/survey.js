// The satisfaction survey (SKM, Permenpan RB 14/2017): nine elements rated 1–4 and a comment, once per job.
import { api, ApiError } from "./api.js";
import { config, errorText, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const code = config.tracking_code;
const secret = localStorage.getItem(`ajib.track.${code}`) || "";
const storedPhone = sessionStorage.getItem(`ajib.track.phone.${code}`) || "";
const questions = [...document.querySelectorAll(".survey-q")];

$("survey-back").href = `/track/${encodeURIComponent(code)}`;
if (!secret && !storedPhone) $("survey-phone").hidden = false;

function done() {
  $("survey-form").hidden = true;
  $("survey-done").hidden = false;
  window.scrollTo(0, 0);
}

$("survey-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = $("survey-error");
  error.hidden = true;
  const answers = {};
  const missing = [];
  for (const q of questions) {
    q.classList.remove("missing");
    const chosen = q.querySelector("input:checked");
    if (chosen) answers[q.dataset.key] = Number(chosen.value);
    else missing.push(q);
  }
  const phone = storedPhone || $("survey-digits").value.trim();
  if (missing.length) {
    for (const q of missing) q.classList.add("missing");
    error.textContent = t("survey.missing", { n: missing.length });
    error.hidden = false;
    missing[0].scrollIntoView({ block: "center" });
    return;
  }
  if (!secret && !/^[0-9]{4}$/.test(phone)) {
    error.textContent = t("track.open_title");
    error.hidden = false;
    $("survey-digits").focus();
    return;
  }
  const body = { answers, comment: $("survey-comment").value.trim() || null };
  if (secret) body.secret = secret;
  else body.phone_last4 = phone;
  const button = ev.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api(`/api/survey/${encodeURIComponent(code)}`, { method: "POST", json: body });
    done();
  } catch (err) {
    if (err instanceof ApiError && err.code === "survey_already_answered") return done();
    error.textContent = err instanceof ApiError && err.status === 404 ? t("track.phone_wrong") : errorText(err);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
document.body.dataset.ready = "1";
