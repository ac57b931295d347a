"""The page's JavaScript, kept beside its CSS (ui/style.py) as strings: Gradio takes both as text."""

# Copy to the clipboard from any .q-copy button inside a results panel (navigator.clipboard needs a
# secure context such as http://127.0.0.1; elsewhere fall back to execCommand, then to a prompt).
COPY_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.q-copy');
  if (!button) return;
  const text = button.dataset.copy || '';
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const done = (ok) => {
    button.textContent = ok ? 'Copied \u2713' : label;
    if (!ok) window.prompt('Copy the citation:', text);
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', '');
    area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(() => done(true), fallback);
  else fallback();
});
"""

# Keep the address bar in step with the search, so it can be shared as a `/?q=...` link.
URL_JS = """
(q, mode, k, au, dc, yr, ty) => {
  try {
    const p = new URLSearchParams();
    if (q && q.trim()) p.set('q', q.trim());
    if (mode && mode !== 'hybrid') p.set('mode', mode);
    if (k && Number(k) !== DEFAULT_K) p.set('k', String(k));
    for (const [key, vals] of [['authority', au], ['doc', dc], ['year', yr], ['type', ty]])
      for (const v of (vals || [])) p.append(key, v);
    const s = p.toString();
    window.history.replaceState(null, '', s ? '?' + s : window.location.pathname);
  } catch (e) { /* an old browser keeps its address; the search still runs */ }
  return [q, mode, k, au, dc, yr, ty];
}
"""
