/**
 * The layout rules of the resident page, checked by a program in the real page (the way axe and
 * Lighthouse check geometry and contrast): `auditPage` runs inside Chromium on the screen showing and
 * returns every violation, each naming the rule, the element and what was measured.
 *
 * Rules (docs/display.md "Layout rules"):
 * - `viewport`: every piece of text lies inside the window.
 * - `clipped`: no text reaches past a box that hides its overflow (it would be cut or hidden).
 * - `overlap`: no two texts overlap; no text is covered by another element (the key bar, a button).
 * - `type-size`: text is at least `minTypePx` CSS pixels once zoomed.
 * - `contrast`: text against its background is at least 7:1 (WCAG 2.x AAA, 1.4.6).
 * - `keys`: the key bar names every key the Screen declares, and every option shows its key.
 * - `hidden-key`: every touch target lies wholly inside the window and its scrolling box.
 * - `qr-size`: the VietQR code is at least 40 % of the window's short side.
 */

export interface LayoutViolation {
  rule: 'viewport' | 'clipped' | 'overlap' | 'type-size' | 'contrast' | 'keys' | 'hidden-key' | 'qr-size';
  /** A short CSS-like path of the element, e.g. `#screen .option[data-key=9] .label`. */
  where: string;
  detail: string;
}

export interface AuditInput {
  minTypePx: number;
  minContrast: number;
  minQrFraction: number;
  /** Keys the Screen declared for the key bar. */
  keys: { key: string; label: string }[];
  /** Screens that take no keys at all (maintenance, out of service). */
  keysOptional: boolean;
}

/**
 * Runs in the page (serialised by Playwright): no imports, no closures over Node values.
 * Returns the violations found on the screen now showing.
 */
export function auditPage(input: AuditInput): LayoutViolation[] {
  const doc = (globalThis as any).document;
  const win = globalThis as any;
  const out: LayoutViolation[] = [];
  const vw = win.innerWidth;
  const vh = win.innerHeight;
  const tol = 1;

  const describe = (el: any): string => {
    const parts: string[] = [];
    for (let n = el; n && n !== doc.body && parts.length < 4; n = n.parentElement) {
      let p = n.tagName.toLowerCase();
      if (n.id) p = `#${n.id}`;
      else if (n.classList.length) p += `.${[...n.classList].join('.')}`;
      if (n.dataset?.key) p += `[data-key=${n.dataset.key}]`;
      parts.unshift(p);
      if (n.id) break;
    }
    return parts.join(' ');
  };
  const visible = (el: any): boolean => {
    for (let n = el; n; n = n.parentElement) {
      const cs = win.getComputedStyle(n);
      if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0) return false;
    }
    return true;
  };
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const parse = (color: string): number[] | undefined => {
    const m = /rgba?\(([^)]+)\)/.exec(color);
    if (!m) return undefined;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const luminance = (rgb: number[]) => 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  const backgroundOf = (el: any): number[] => {
    for (let n = el; n; n = n.parentElement) {
      const c = parse(win.getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };

  // Text: each element's own text nodes, as the boxes the text really occupies.
  interface TextBox { el: any; rects: { left: number; top: number; right: number; bottom: number }[]; text: string }
  const texts: TextBox[] = [];
  const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
  const byElement = new Map<any, TextBox>();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || !visible(el)) continue;
    const range = doc.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r: any) => r.width > 0.5 && r.height > 0.5)
      .map((r: any) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom }));
    if (rects.length === 0) continue;
    const box = byElement.get(el) ?? { el, rects: [], text: '' };
    box.rects.push(...rects);
    box.text += node.textContent.trim();
    if (!byElement.has(el)) {
      byElement.set(el, box);
      texts.push(box);
    }
  }

  for (const box of texts) {
    const where = describe(box.el);
    const sample = box.text.slice(0, 40);
    for (const r of box.rects) {
      if (r.left < -tol || r.top < -tol || r.right > vw + tol || r.bottom > vh + tol) {
        out.push({ rule: 'viewport', where, detail: `"${sample}" at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} outside ${vw}x${vh}` });
        break;
      }
    }
    for (let a = box.el.parentElement; a; a = a.parentElement) {
      const cs = win.getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      const cut = box.rects.find((r) => r.left < ar.left - tol || r.right > ar.right + tol || r.top < ar.top - tol || r.bottom > ar.bottom + tol);
      if (cut) {
        out.push({ rule: 'clipped', where, detail: `"${sample}" reaches past ${describe(a)} (${Math.round(cut.bottom)} > ${Math.round(ar.bottom)} or ${Math.round(cut.right)} > ${Math.round(ar.right)})` });
        break;
      }
    }
    // What a resident sees at the middle of each line must be this text, not something on top of it.
    for (const r of box.rects) {
      const x = Math.min(vw - 1, Math.max(0, (r.left + r.right) / 2));
      const y = Math.min(vh - 1, Math.max(0, (r.top + r.bottom) / 2));
      const hit = doc.elementFromPoint(x, y);
      if (hit && hit !== box.el && !box.el.contains(hit) && !hit.contains(box.el)) {
        out.push({ rule: 'overlap', where, detail: `"${sample}" is covered by ${describe(hit)}` });
        break;
      }
    }
    const cs = win.getComputedStyle(box.el);
    const size = parseFloat(cs.fontSize) * (box.el.currentCSSZoom ?? 1);
    if (size < input.minTypePx - 0.05) {
      out.push({ rule: 'type-size', where, detail: `"${sample}" is ${size.toFixed(1)} px, under ${input.minTypePx} px` });
    }
    const fg = parse(cs.color);
    if (fg) {
      const bg = backgroundOf(box.el);
      const l1 = luminance(fg);
      const l2 = luminance(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      if (ratio < input.minContrast) {
        out.push({ rule: 'contrast', where, detail: `"${sample}" ${cs.color} on rgb(${bg.slice(0, 3).join(', ')}) is ${ratio.toFixed(2)}:1` });
      }
    }
  }
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i] as TextBox;
      const b = texts[j] as TextBox;
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const hit = a.rects.some((p) => b.rects.some((q) => Math.min(p.right, q.right) - Math.max(p.left, q.left) > tol && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > tol));
      if (hit) out.push({ rule: 'overlap', where: describe(a.el), detail: `"${a.text.slice(0, 30)}" overlaps "${b.text.slice(0, 30)}" (${describe(b.el)})` });
    }
  }

  // Keys: the bar names each declared key; each option shows the key that chooses it.
  const bar = [...doc.querySelectorAll('#keys [data-key]')];
  if (input.keys.length === 0 && !input.keysOptional) out.push({ rule: 'keys', where: '#keys', detail: 'the screen explains no keys' });
  for (const k of input.keys) {
    const button = bar.find((b: any) => b.dataset.key === k.key);
    const label = button?.querySelector('.label')?.textContent?.trim();
    if (!button || !label) out.push({ rule: 'keys', where: '#keys', detail: `key ${k.key} is not named in the key bar` });
  }
  for (const option of doc.querySelectorAll('#screen .option')) {
    const badge = option.querySelector('.badge')?.textContent?.trim();
    if (!badge) out.push({ rule: 'keys', where: describe(option), detail: 'an option without its key' });
  }
  const screenBox = doc.getElementById('screen').getBoundingClientRect();
  for (const target of doc.querySelectorAll('[data-key], #emergency')) {
    if (!visible(target)) continue;
    const r = target.getBoundingClientRect();
    const inScreen = doc.getElementById('screen').contains(target);
    const bounds = inScreen ? screenBox : { left: 0, top: 0, right: vw, bottom: vh };
    if (r.left < bounds.left - tol || r.top < bounds.top - tol || r.right > bounds.right + tol || r.bottom > bounds.bottom + tol) {
      out.push({ rule: 'hidden-key', where: describe(target), detail: `${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} is not wholly visible` });
    }
  }
  const qr = doc.querySelector('#screen .qr');
  if (qr) {
    const r = qr.getBoundingClientRect();
    const need = input.minQrFraction * Math.min(vw, vh);
    if (Math.min(r.width, r.height) < need - tol) {
      out.push({ rule: 'qr-size', where: describe(qr), detail: `${Math.round(Math.min(r.width, r.height))} px, under ${Math.round(need)} px` });
    }
  }
  return out;
}
