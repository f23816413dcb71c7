// Runs in the page (tests/browser/a11y.py): text sizes, tap-target boxes, inputs without a <label>.
() => {
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0 && !el.closest('[hidden]');
  };
  const inMapSurface = (el) => el.closest('.leaflet-pane, .leaflet-control-attribution');
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !visible(el) || inMapSurface(el)) continue;
    if (['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(el.tagName)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16) small.push(`${el.tagName}.${el.className}: ${size}px "${n.textContent.trim().slice(0, 30)}"`);
  }
  const tiny = [];
  const targets = document.querySelectorAll('a[href], button, input, select, textarea, summary, [role=button], [tabindex]');
  for (const el of targets) {
    if (inMapSurface(el)) continue;
    if (el.type === 'hidden') continue;
    let box = el;
    if (['checkbox', 'radio', 'file'].includes(el.type)) box = el.closest('label') || (el.labels && el.labels[0]) || el;
    if (!visible(box)) continue;
    const r = box.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5) tiny.push(`${el.tagName}#${el.id || ''}.${el.className}: ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const unlabelled = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    if (!el.closest('template') && !(el.labels && el.labels.length)) unlabelled.push(`${el.tagName}#${el.id}[name=${el.name}]`);
  }
  return { small, tiny, unlabelled };
}
