// Offline receipt verifier: the same checks as `ajib verify-receipt` (dispatch/custody/tlog/receipt.py), in the
// browser with WebCrypto only (SHA-256, Ed25519, ECDSA P-256). Nothing is fetched: the receipt files and the
// keys on the page are all it uses. Results are written with textContent (receipts carry people's text).
const enc = new TextEncoder();
const $ = (id) => document.getElementById(id);

class Invalid extends Error {}

function unb64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

const leafHash = (leaf) => sha256(concat(new Uint8Array([0]), leaf));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

// ---------------------------------------------------------------- signed notes (c2sp.org/signed-note)
async function parseVkey(text) {
  const t = text.trim();
  const first = t.indexOf("+");
  const second = t.indexOf("+", first + 1);
  const [name, hex, material] = [t.slice(0, first), t.slice(first + 1, second), t.slice(second + 1)];
  if (first < 1 || second < 0 || !material) throw new Invalid("a verifier key is name+keyid+key");
  const raw = unb64(material);
  if (raw.length !== 33 || (raw[0] !== 1 && raw[0] !== 4)) throw new Invalid("unsupported key type");
  const id = await sha256(concat(enc.encode(name + "\n"), raw));
  const want = Array.from(id.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  if (want !== hex) throw new Invalid(`key ID of ${name} does not match its key`);
  const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, id: id.slice(0, 4), alg: raw[0], key };
}

function parseNote(message) {
  if (!message.endsWith("\n")) throw new Invalid("note must end in a newline");
  const cut = message.lastIndexOf("\n\n");
  if (cut < 0) throw new Invalid("note has no signatures");
  const text = message.slice(0, cut + 1);
  const sigs = message
    .slice(cut + 2, -1)
    .split("\n")
    .map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Invalid("malformed signature line");
      const raw = unb64(m[2]);
      return { name: m[1], id: raw.slice(0, 4), data: raw.slice(4) };
    });
  return { text, sigs };
}

async function openNote(message, office, witnesses) {
  const note = parseNote(message);
  let good = false;
  const cosigned = [];
  for (const sig of note.sigs) {
    if (sig.name === office.name && equal(sig.id, office.id)) {
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, office.key, sig.data, enc.encode(note.text))))
        throw new Invalid(`invalid signature for key ${office.name}`);
      good = true;
    }
    const w = witnesses.find((k) => k.name === sig.name && equal(k.id, sig.id));
    if (w && sig.data.length === 72) {
      const stamp = new DataView(sig.data.buffer, sig.data.byteOffset, 8).getBigUint64(0);
      const msg = enc.encode(`cosignature/v1\ntime ${stamp}\n${note.text}`);
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, w.key, sig.data.slice(8), msg)))
        throw new Invalid(`invalid cosignature from ${w.name}`);
      cosigned.push([w.name, Number(stamp)]);
    }
  }
  if (!good) throw new Invalid("no signature from the office key");
  const lines = note.text.slice(0, -1).split("\n");
  const checkpoint = { origin: lines[0], size: Number(lines[1]), root: unb64(lines[2]) };
  if (checkpoint.origin !== office.name) throw new Invalid(`checkpoint is for log ${checkpoint.origin}`);
  return { checkpoint, cosigned };
}

// ---------------------------------------------------------------- RFC 9162 proofs
async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) throw new Invalid("index outside the tree");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Invalid("inclusion proof too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Invalid("inclusion proof too short");
  return r;
}

async function verifyConsistency(size1, size2, root1, root2, proof) {
  if (size1 > size2 || size1 === 0) throw new Invalid("bad sizes");
  if (size1 === size2) {
    if (proof.length || !equal(root1, root2)) throw new Invalid("equal sizes, different roots");
    return;
  }
  if (!proof.length) throw new Invalid("empty consistency proof");
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Invalid("consistency proof too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(fr, root1) || !equal(sr, root2))
    throw new Invalid(`checkpoint ${size2} does NOT extend checkpoint ${size1}`);
}

// ---------------------------------------------------------------- receipts (ajib-receipt/v1)
async function proofParts(text, office, witnesses) {
  const cut = text.indexOf("\n\n");
  const head = text.slice(0, cut).split("\n");
  if (head[0] !== "c2sp.org/tlog-proof@v1") throw new Invalid("not a c2sp.org/tlog-proof");
  let rest = head.slice(1);
  let extra = null;
  if (rest[0] && rest[0].startsWith("extra ")) {
    extra = unb64(rest[0].slice(6));
    rest = rest.slice(1);
  }
  if (!rest[0] || !/^index (0|[1-9][0-9]*)$/.test(rest[0])) throw new Invalid("no index line");
  const index = Number(rest[0].slice(6));
  const path = rest.slice(1).map(unb64);
  const { checkpoint, cosigned } = await openNote(text.slice(cut + 2), office, witnesses);
  if (!extra) throw new Invalid("the proof carries no record");
  const root = await rootFromInclusion(index, checkpoint.size, await leafHash(extra), path);
  if (!equal(root, checkpoint.root)) throw new Invalid(`leaf ${index} is not in the signed tree of size ${checkpoint.size}`);
  return { index, leaf: extra, checkpoint, cosigned };
}

async function verifyReceipt(receipt, office, witnesses) {
  if (receipt.format !== "ajib-receipt/v1") throw new Invalid("not an ajib-receipt/v1 file");
  const main = await proofParts(receipt.proof, office, witnesses);
  const record = JSON.parse(new TextDecoder().decode(main.leaf));
  const checked = { ...main, record, device: "absent", purges: [], consistency: [] };
  if (record.device) {
    const key = await crypto.subtle.importKey("spki", unb64(record.device.public_key), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, unb64(record.device.signature), enc.encode(record.device.claim));
    if (!ok) throw new Invalid(`leaf ${main.index}: the courier phone's signature does not verify`);
    const claimed = Object.fromEntries(record.device.claim.split("\n").slice(1).filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    for (const name of ["job_id", "from_party", "to_party", "recipient_name"]) {
      if (String(claimed[name] || "").trim() !== String(record[name])) throw new Invalid(`leaf ${main.index}: ${name} is not what the phone signed`);
    }
    checked.device = "verified";
  }
  for (const item of receipt.consistency || []) {
    await verifyConsistency(item.size1, main.checkpoint.size, unb64(item.root1), main.checkpoint.root, item.proof.map(unb64));
    checked.consistency.push(item);
  }
  for (const text of receipt.related || []) {
    const rel = await proofParts(text, office, witnesses);
    const leaf = JSON.parse(new TextDecoder().decode(rel.leaf));
    if (leaf.type === "purge" && leaf.job_id === record.job_id) checked.purges.push({ ...leaf, index: rel.index });
  }
  return checked;
}

function diff(a, b) {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k}: ${JSON.stringify(a[k])} -> ${JSON.stringify(b[k])}`);
}

async function compare(x, y) {
  const [older, newer] = x.checkpoint.size <= y.checkpoint.size ? [x, y] : [y, x];
  const a = older.checkpoint;
  const b = newer.checkpoint;
  if (older.index === newer.index && !equal(older.leaf, newer.leaf))
    return { ok: false, lines: [`leaf ${older.index} changed between the receipts:`, ...diff(older.record, newer.record).map((d) => "  " + d)] };
  if (a.size === b.size)
    return equal(a.root, b.root)
      ? { ok: true, lines: [`both receipts are proved against the same checkpoint (size ${a.size})`] }
      : { ok: false, lines: [`two different trees were signed for size ${a.size}: the log was rewritten (fork)`] };
  const carried = newer.consistency.find((c) => c.size1 === a.size);
  if (!carried) return { ok: false, lines: [`no consistency proof from size ${a.size} to ${b.size} in the receipts: this page cannot check it offline`] };
  if (!equal(unb64(carried.root1), a.root))
    return { ok: false, lines: [`the newer receipt extends a different tree of size ${a.size}: the log was rewritten`] };
  return { ok: true, lines: [`checkpoint ${b.size} extends checkpoint ${a.size} (consistency proof verified)`] };
}

function purgeLine(p) {
  const when = p.purged_at.slice(0, 10);
  const due = new Date(Date.parse(p.service_date) + p.retention_days * 86400000).toISOString().slice(0, 10);
  return when < due
    ? `evidence purged on ${when}, BEFORE its retention period ended on ${due} (leaf ${p.index})`
    : `evidence purged under retention on ${when} (kept ${p.retention_days} days; leaf ${p.index})`;
}

function describe(c) {
  const r = c.record;
  const lines = [
    `leaf ${c.index} of ${c.checkpoint.origin}, tree size ${c.checkpoint.size}: signed by the office`,
    `record: ${r.type} job ${r.job_id} step ${r.seq ?? "-"} ${r.from_party ?? ""} -> ${r.to_party ?? ""} recipient ${JSON.stringify(r.recipient_name ?? "-")} at ${r.recorded_at}`,
  ];
  for (const ev of r.evidence || []) lines.push(`evidence ${ev.kind}: ${ev.sha256}`);
  lines.push(`courier phone signature: ${c.device === "verified" ? "verified" : "none"}`);
  for (const [name, t] of c.cosigned) lines.push(`cosigned by witness ${name} at ${new Date(t * 1000).toISOString()}`);
  for (const p of c.purges) lines.push(purgeLine(p));
  return lines;
}

function show(ok, headline, lines) {
  const box = $("verdict");
  box.hidden = false;
  box.className = `verdict ${ok ? "valid" : "tampered"}`;
  box.dataset.valid = ok ? "true" : "false";
  box.textContent = headline;
  const list = $("details");
  list.replaceChildren();
  for (const line of lines) {
    const li = document.createElement("li");
    li.textContent = line;
    list.append(li);
  }
}

async function keys() {
  const office = await parseVkey($("office-key").value);
  const witnesses = [];
  for (const line of $("witness-keys").value.split("\n").map((l) => l.trim()).filter(Boolean)) witnesses.push(await parseVkey(line));
  return { office, witnesses };
}

/** A scanned receipt QR code: /verify-offline#r=<base64url(deflate-raw(tlog-proof))>, checked on this phone. */
async function fromFragment() {
  const m = /^#r=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return;
  try {
    const b64 = m[1].replace(/-/g, "+").replace(/_/g, "/");
    const packed = unb64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    const proof = await new Response(stream).text();
    const { office, witnesses } = await keys();
    const one = await verifyReceipt({ format: "ajib-receipt/v1", proof }, office, witnesses);
    show(true, "SAH / VALID", describe(one));
  } catch (err) {
    show(false, `TIDAK SAH / INVALID: ${err.message}`, []);
  }
}

$("verify-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  // the last verdict was about other files: never leave it on screen while these are checked
  $("verdict").hidden = true;
  $("details").replaceChildren();
  try {
    const { office, witnesses } = await keys();
    const files = Array.from($("receipt-files").files);
    if (files.length < 1 || files.length > 2) throw new Invalid("choose one or two receipt files");
    const checked = [];
    const lines = [];
    for (const file of files) {
      const text = await file.text();
      const receipt = text.trim().startsWith("{") ? JSON.parse(text) : { format: "ajib-receipt/v1", proof: text };
      const one = await verifyReceipt(receipt, office, witnesses);
      checked.push(one);
      lines.push(`${file.name}: VALID`, ...describe(one).map((l) => "  " + l));
    }
    if (checked.length === 2) {
      const result = await compare(checked[0], checked[1]);
      lines.push(...result.lines);
      show(result.ok, result.ok ? "SAH / VALID — riwayat tidak diubah / history not rewritten" : "TIDAK SAH / HISTORY REWRITTEN", lines);
    } else {
      show(true, "SAH / VALID", lines);
    }
  } catch (err) {
    show(false, `TIDAK SAH / INVALID: ${err.message}`, []);
  }
});
window.addEventListener("hashchange", fromFragment);
fromFragment().finally(() => (document.body.dataset.ready = "1"));
