// Keep and pass on a booking: copy the code, share it on WhatsApp, add the appointment to the phone's calendar.
import { api } from "./api.js";
import { fmtAppointment, t } from "./i18n.js";

/** The public tracking page of a code (no secret: whoever gets it tracks with the phone's last 4 digits). */
export function publicTrackUrl(code) {
  return `${location.origin}/track/${encodeURIComponent(code)}`;
}

export function shareText(code, day, start, end) {
  return t("share.text", { code, when: fmtAppointment(day, start, end), url: publicTrackUrl(code) });
}

export function whatsappUrl(text) {
  return `https://wa.me/?text=${encodeURIComponent(text)}`;
}

/** Copy to the clipboard; older phones without the Clipboard API get the text selected in a prompt-free way. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** Fetch the .ics with the credential in a header (never in a URL) and hand it to the phone as a download. */
export async function downloadCalendar(code, credential) {
  const headers = { Accept: "text/calendar" };
  if (credential.secret) headers["X-Tracking-Secret"] = credential.secret;
  else if (credential.phone) headers["X-Tracking-Phone"] = credential.phone;
  const body = await api(`/api/track/${encodeURIComponent(code)}/calendar.ics`, { headers });
  const blob = new Blob([body], { type: "text/calendar" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${code}.ics`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
