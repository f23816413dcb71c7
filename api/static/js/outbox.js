// The courier's outbox: every action is written to IndexedDB first (with its Idempotency-Key), then sent in
// order when the network allows. 2xx (first write or the server's replay of it) removes the item; another 4xx
// marks it as needing attention; network errors, 5xx, 408 and 429 retry with exponential backoff.
import * as idb from "./idb.js";
import { newKey } from "./uuid.js";

export { newKey };

const TRANSIENT = new Set([408, 425, 429]);
const listeners = new Set();
let running = false;
let retryTimer = null;
let backoffMs = 0;
let tokenProvider = () => null;
let onUnauthorised = () => {};

export function configure({ token, unauthorised }) {
  tokenProvider = token;
  onUnauthorised = unauthorised || onUnauthorised;
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(event) {
  for (const fn of listeners) {
    try {
      fn(event);
    } catch (err) {
      console.error(err);
    }
  }
}

/** Queue one request. `fields` become multipart form fields (or `json` a JSON body); `files` are Blobs. */
export async function enqueue({ kind, url, fields = null, files = [], json = null, meta = {}, key = null }) {
  const item = {
    key: key || newKey(),
    kind,
    url,
    fields,
    files,
    json,
    meta,
    state: "pending",
    tries: 0,
    error: null,
    created_at: new Date().toISOString(),
  };
  item.seq = await idb.add("outbox", item);
  emit({ type: "queued", item });
  sync();
  return item;
}

export async function items() {
  const list = await idb.all("outbox");
  return list.sort((a, b) => a.seq - b.seq);
}

export async function discard(seq) {
  await idb.del("outbox", seq);
  emit({ type: "discarded", seq });
}

function buildRequest(item, token) {
  const headers = { "Idempotency-Key": item.key, Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (item.json) {
    headers["Content-Type"] = "application/json";
    return { method: "POST", headers, body: JSON.stringify(item.json) };
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(item.fields || {})) {
    if (value !== null && value !== undefined && value !== "") form.append(name, String(value));
  }
  for (const file of item.files || []) form.append(file.field, file.blob, file.name);
  return { method: "POST", headers, body: form };
}

function scheduleRetry() {
  backoffMs = Math.min(backoffMs ? backoffMs * 2 : 2000, 60000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(sync, backoffMs + Math.random() * 500);
  emit({ type: "retry", inMs: backoffMs });
}

/** Send what is pending, oldest first; stops at the first transient failure to keep the order. */
export async function sync() {
  if (running) return;
  running = true;
  emit({ type: "sync-start" });
  try {
    for (;;) {
      const item = (await items()).find((i) => i.state === "pending");
      if (!item) break;
      if (!navigator.onLine) {
        scheduleRetry();
        return;
      }
      const token = tokenProvider();
      let response;
      try {
        response = await fetch(item.url, buildRequest(item, token));
      } catch {
        scheduleRetry();
        return;
      }
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (response.ok) {
        await idb.del("outbox", item.seq);
        emit({ type: "sent", item, body });
        continue;
      }
      if (response.status === 401) {
        onUnauthorised();
        return;
      }
      if (response.status >= 500 || TRANSIENT.has(response.status)) {
        item.tries += 1;
        await idb.put("outbox", item);
        scheduleRetry();
        return;
      }
      item.state = "failed";
      item.tries += 1;
      item.error = body && body.error ? { code: body.error.code, message: body.error.message } : { code: String(response.status) };
      await idb.put("outbox", item);
      emit({ type: "failed", item });
    }
    backoffMs = 0;
  } finally {
    running = false;
    emit({ type: "sync-end" });
  }
}

/** Put items that needed attention back in line (after the courier fixed the cause). */
export async function retryFailed() {
  for (const item of await items()) {
    if (item.state === "failed") {
      item.state = "pending";
      item.error = null;
      await idb.put("outbox", item);
    }
  }
  backoffMs = 0;
  return sync();
}

window.addEventListener("online", () => {
  backoffMs = 0;
  sync();
});
