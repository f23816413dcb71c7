// Building the DOM from data, safe by construction: text always goes in as textContent, styles through the
// CSSOM (the pages' CSP allows no style attributes), and links only with schemes a page may follow.
const SAFE_SCHEMES = new Set(["http:", "https:", "tel:", "mailto:", "sms:", "geo:", "blob:"]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "poster"]);

/** `url` if a browser following it cannot run script (no `javascript:`/`data:`), else null. */
export function safeUrl(url) {
  if (url === null || url === undefined) return null;
  try {
    return SAFE_SCHEMES.has(new URL(String(url), location.href).protocol) ? String(url) : null;
  } catch {
    return null;
  }
}

/** `el("td", { class: "x", text: name, style: "left:3%" }, child, ...)`; `on*` attributes are refused. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.toLowerCase().startsWith("on")) throw new Error(`el(): event handler attribute ${k}; use addEventListener`);
    else if (URL_ATTRIBUTES.has(k.toLowerCase())) {
      const url = safeUrl(v);
      if (url !== null) node.setAttribute(k, url);
    } else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
