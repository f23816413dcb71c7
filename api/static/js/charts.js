// Small bar charts as inline SVG built with DOM APIs (the CSP allows no inline styles or scripts): one bar
// per row, its label on the left and its value written at the end of the bar. People would rather look than read.
const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs = {}, text = null) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== null) n.textContent = text;
  return n;
}

/**
 * `barChart([{label, value, text, cls}], {max, title})`: horizontal bars scaled to `max` (default: the largest
 * value); `text` is what is written after the bar (the formatted value), `cls` colours a bar (e.g. "bad").
 */
export function barChart(items, { max = null, title = "" } = {}) {
  const rowH = 22;
  const labelW = 150;
  const barW = 220;
  const W = labelW + barW + 70;
  const H = Math.max(items.length, 1) * rowH + 6;
  const top = max ?? Math.max(...items.map((i) => i.value || 0), 1);
  const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, class: "bar-chart", role: "img", "aria-label": title });
  if (title) svg.append(node("title", {}, title));
  items.forEach((item, i) => {
    const y = 3 + i * rowH;
    const w = top > 0 ? Math.max(((item.value || 0) / top) * barW, item.value ? 2 : 0) : 0;
    const label = item.label.length > 22 ? `${item.label.slice(0, 21)}…` : item.label;
    svg.append(
      node("text", { x: labelW - 6, y: y + 15, class: "bar-label" }, label),
      node("rect", { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 8, class: `bar ${item.cls || ""}`, "data-value": item.value ?? "" }),
      node("text", { x: labelW + w + 4, y: y + 15, class: "bar-value" }, item.text ?? String(item.value ?? ""))
    );
  });
  return svg;
}
