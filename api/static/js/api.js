// JSON API calls with the device's bearer token; errors carry the server's {error: {code, message}} body.
import { lang } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.code) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body && body.error ? body.error.code : null;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super("network");
    this.network = true;
    this.cause = cause;
  }
}

const TOKEN_KEYS = { courier: "ajib.courier.auth", staff: "ajib.staff.auth" };

export function loadAuth(app) {
  try {
    return JSON.parse(localStorage.getItem(TOKEN_KEYS[app]) || "null");
  } catch {
    return null;
  }
}

export function saveAuth(app, auth) {
  if (auth) localStorage.setItem(TOKEN_KEYS[app], JSON.stringify(auth));
  else localStorage.removeItem(TOKEN_KEYS[app]);
}

export async function api(path, { method = "GET", json, form, token, headers = {}, signal } = {}) {
  const h = { "Accept-Language": lang, Accept: "application/json", ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(path, { method, headers: h, body, signal, cache: "no-store" });
  } catch (err) {
    throw new NetworkError(err);
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : null);
  return data;
}

export async function login(username, password, kind, label) {
  return api("/api/auth/token", { method: "POST", json: { username, password, kind, device_label: label } });
}
