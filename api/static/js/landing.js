// Landing page: track with the code plus the last 4 digits of the booking's phone. The digits go to the tracking
// page through this tab's sessionStorage (never in a URL, so never in a log or the browser history).
import { t } from "./i18n.js";

const form = document.getElementById("track-form");
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const code = document.getElementById("track-code").value.trim().toUpperCase().replace(/\s+/g, "");
  const digits = document.getElementById("track-phone").value.trim();
  const error = document.getElementById("track-form-error");
  if (!code || !/^[0-9]{4}$/.test(digits)) {
    error.textContent = t("track.open_title");
    error.hidden = false;
    return;
  }
  sessionStorage.setItem(`ajib.track.phone.${code}`, digits);
  location.href = "/track/" + encodeURIComponent(code);
});
document.body.dataset.ready = "1";
