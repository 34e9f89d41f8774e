// Chalk marks over a photo and the floor plan with its pin, drawn as SVG
// from the shapes the server sends (the core's `Shape`, externally tagged,
// in normalised image coordinates). Shared by the contractor's page and
// the CS center's dashboard.

import { Html, html } from './dom.js';

export type I18nText = { zh: string; en: string };
export type Point = { x: number; y: number };
export type Rect = { x: number; y: number; w: number; h: number };
export type Shape =
  | { circle: { center: Point; radius: number } }
  | { arrow: { from: Point; to: Point } }
  | { label: { at: Point; text: string } };
/** A room of the unit type's floor plan; `here` is the defect's room. */
export type PlanRoom = { name: I18nText; area: Rect; here: boolean };

/** SVG markup (viewBox 0 0 100 100, stretched over the photo) for the marks; every value escaped. */
export function marksSvg(marks: Shape[]): Html {
  const p = (v: number) => (Number(v) * 100).toFixed(2);
  const parts = marks.map((m) => {
    if ('circle' in m) {
      const { center, radius } = m.circle;
      return html`<ellipse cx="${p(center.x)}" cy="${p(center.y)}" rx="${p(radius)}" ry="${p(radius)}" />`;
    } else if ('arrow' in m) {
      const { from, to } = m.arrow;
      return html`<line x1="${p(from.x)}" y1="${p(from.y)}" x2="${p(to.x)}" y2="${p(to.y)}" marker-end="url(#head)" />`;
    } else if ('label' in m) {
      const { at, text } = m.label;
      return html`<text fill="#e62828" stroke="none" x="${p(at.x)}" y="${p(at.y)}">${text}</text>`;
    }
    return html``;
  });
  return html`<svg viewBox="0 0 100 100" preserveAspectRatio="none" data-testid="marks" data-count="${marks.length}" fill="none" stroke="#e62828" stroke-width="0.8" font-size="5"><defs><marker id="head" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto"><path d="M0,0 L6,3 L0,6" stroke="#e62828" /></marker></defs>${parts}</svg>`;
}

/** The unit's floor plan (its rooms) with the defect's room shaded and the pin. */
export function planSvg(item: { plan: PlanRoom[]; pin: Point | null }, pick: (t: I18nText) => string): Html {
  const n = (v: number) => Number(v) * 100;
  const rooms = item.plan.map((r) =>
    html`<rect x="${n(r.area.x)}" y="${n(r.area.y)}" width="${n(r.area.w)}" height="${n(r.area.h)}" fill="${r.here ? '#ffe0b2' : '#fff'}" stroke="#888" stroke-width="0.5" /><text x="${n(r.area.x + 0.02)}" y="${n(r.area.y + 0.08)}" font-size="5" fill="#555">${pick(r.name)}</text>`);
  const pin = item.pin ? html`<circle data-testid="pin" cx="${n(item.pin.x)}" cy="${n(item.pin.y)}" r="2.5" fill="#e62828" />` : '';
  return html`<svg class="plan" data-testid="plan" viewBox="0 0 100 100" preserveAspectRatio="none">${rooms}${pin}</svg>`;
}
