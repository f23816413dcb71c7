// The phone's signing key: ECDSA P-256 made by WebCrypto as non-extractable (the private key never leaves the
// browser), kept in IndexedDB, registered once per device token. Every handover is signed before it is queued,
// so it is signed offline too; the server verifies the signature over the exact strings it receives.
import { api } from "./api.js";
import * as idb from "./idb.js";

const SLOT = "device-key";
// dispatch/custody/records.py HandoverClaim, in declared order: the lines of the signed claim
const CLAIM_FIELDS = [
  "job_id", "from_party", "to_party", "recipient_name", "device_time", "stop_id", "courier_id",
  "identity_note", "signature_strokes", "lat", "lon", "accuracy_m", "evidence_sha256",
];

function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

async function sha256Hex(data) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Make (if this device token has none) and register the key; failures leave the phone unsigned, not stuck. */
export async function ensureKey(auth) {
  if (!auth || !window.crypto || !crypto.subtle) return null;
  let rec = await idb.get("kv", SLOT);
  if (rec && rec.jti === auth.jti && rec.key_id) return rec;
  if (!rec || rec.jti !== auth.jti) {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    rec = { jti: auth.jti, privateKey: pair.privateKey, spki: b64(spki), key_id: null };
    await idb.put("kv", rec, SLOT);
  }
  try {
    const out = await api("/api/courier/device-key", { method: "POST", json: { public_key: rec.spki }, token: auth.access_token });
    rec.key_id = out.key_id;
    await idb.put("kv", rec, SLOT);
  } catch (err) {
    console.warn("device key not registered yet", err);
  }
  return rec;
}

function asSent(value) {
  // exactly what outbox.js puts in the form: absent when null/undefined/"", else String(value)
  return value === null || value === undefined || value === "" ? "" : String(value);
}

/** Add evidence hashes and the device signature to a handover's form fields (no-op without a registered key). */
export async function signHandover(fields, files) {
  const rec = await idb.get("kv", SLOT);
  if (!rec || !rec.key_id) return fields;
  const hashes = [];
  for (const f of files) hashes.push(`${f.field}:${await sha256Hex(await f.blob.arrayBuffer())}`);
  const signed = { ...fields, evidence_sha256: hashes.join(",") };
  const lines = ["ajib-handover-claim/v1"];
  for (const name of CLAIM_FIELDS) {
    let value = asSent(signed[name]);
    if (name === "signature_strokes" && value) value = `sha256:${await sha256Hex(new TextEncoder().encode(value))}`;
    lines.push(`${name}=${value}`);
  }
  const message = new TextEncoder().encode(lines.join("\n") + "\n");
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, rec.privateKey, message));
  return { ...signed, device_key_id: rec.key_id, device_signature: b64(sig) };
}
