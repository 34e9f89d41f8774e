// Chalk marks over a photo and the floor plan with its pin, drawn as SVG
// from the shapes the server sends (the core's `Shape`, externally tagged,
// in normalised image coordinates). Shared by the contractor's page and
// the CS center's dashboard.

export type I18nText = { zh: string; en: string };
export type Point = { x: number; y: number };
export type Rect = { x: number; y: number; w: number; h: number };
export type Shape =
  | { circle: { center: Point; radius: number } }
  | { arrow: { from: Point; to: Point } }
  | { label: { at: Point; text: string } };
/** A room of the unit type's floor plan; `here` is the defect's room. */
export type PlanRoom = { name: I18nText; area: Rect; here: boolean };

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** SVG markup (viewBox 0 0 100 100, stretched over the photo) for the marks. */
export function marksSvg(marks: Shape[]): string {
  const parts: string[] = [];
  const p = (v: number) => (v * 100).toFixed(2);
  for (const m of marks) {
    if ('circle' in m) {
      const { center, radius } = m.circle;
      parts.push(`<ellipse cx="${p(center.x)}" cy="${p(center.y)}" rx="${p(radius)}" ry="${p(radius)}" />`);
    } else if ('arrow' in m) {
      const { from, to } = m.arrow;
      parts.push(`<line x1="${p(from.x)}" y1="${p(from.y)}" x2="${p(to.x)}" y2="${p(to.y)}" marker-end="url(#head)" />`);
    } else if ('label' in m) {
      const { at, text } = m.label;
      parts.push(`<text fill="#e62828" stroke="none" x="${p(at.x)}" y="${p(at.y)}">${esc(text)}</text>`);
    }
  }
  return (
    `<svg viewBox="0 0 100 100" preserveAspectRatio="none" data-testid="marks" data-count="${marks.length}" ` +
    `fill="none" stroke="#e62828" stroke-width="0.8" font-size="5">` +
    `<defs><marker id="head" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto">` +
    `<path d="M0,0 L6,3 L0,6" stroke="#e62828" /></marker></defs>` +
    parts.join('') +
    `</svg>`
  );
}

/** The unit's floor plan (its rooms) with the defect's room shaded and the pin. */
export function planSvg(item: { plan: PlanRoom[]; pin: Point | null }, pick: (t: I18nText) => string): string {
  const rooms = item.plan
    .map(
      (r) =>
        `<rect x="${r.area.x * 100}" y="${r.area.y * 100}" width="${r.area.w * 100}" height="${r.area.h * 100}" ` +
        `fill="${r.here ? '#ffe0b2' : '#fff'}" stroke="#888" stroke-width="0.5" />` +
        `<text x="${(r.area.x + 0.02) * 100}" y="${(r.area.y + 0.08) * 100}" font-size="5" fill="#555">${esc(pick(r.name))}</text>`,
    )
    .join('');
  const pin = item.pin
    ? `<circle data-testid="pin" cx="${item.pin.x * 100}" cy="${item.pin.y * 100}" r="2.5" fill="#e62828" />`
    : '';
  return `<svg class="plan" data-testid="plan" viewBox="0 0 100 100" preserveAspectRatio="none">${rooms}${pin}</svg>`;
}
