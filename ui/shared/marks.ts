// Chalk marks over a photo and the floor plan with its pin, drawn as SVG
// from the shapes the server sends (the core's `Shape`, externally tagged,
// in normalised image coordinates). Shared by the contractor's page and
// the CS center's dashboard.

import { Html, html } from './dom.js';
// Server JSON: types generated from the OpenAPI document.
import type { I18nText, PlanRoom, Point, Rect, Shape } from '../shared/api-types.js';

export type { I18nText, Point, Rect, Shape, PlanRoom };

/**
 * SVG markup (viewBox 0 0 100 100, stretched over the photo) for the marks; every value escaped.
 * `label` names the marks for a screen reader (role="img"); without one they are hidden from it
 * (the photo's alt text already says what the photo shows).
 */
export function marksSvg(marks: Shape[], label?: string): Html {
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
  const name = label ? html`role="img" aria-label="${label}"` : html`aria-hidden="true"`;
  return html`<svg ${name} viewBox="0 0 100 100" preserveAspectRatio="none" data-testid="marks" data-count="${marks.length}" fill="none" stroke="#e62828" stroke-width="0.8" font-size="5"><defs><marker id="head" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto"><path d="M0,0 L6,3 L0,6" stroke="#e62828" /></marker></defs>${parts}</svg>`;
}

/** SVG `points` for a polygon in normalised coordinates, in a 0–100 viewBox. */
export function polygonPoints(outline: Point[]): string {
  return outline.map((p) => `${(Number(p.x) * 100).toFixed(2)},${(Number(p.y) * 100).toFixed(2)}`).join(' ');
}

/** The middle of an outline (the mean of its corners), where its name goes. */
export function outlineMiddle(outline: Point[]): Point {
  const n = Math.max(outline.length, 1);
  return { x: outline.reduce((a, p) => a + p.x, 0) / n, y: outline.reduce((a, p) => a + p.y, 0) / n };
}

/** What a screen reader says for the plan: `image` the plan image's alt (户型图 A), `overlay` the rooms and the pin. */
export type PlanLabels = { image: string; overlay: string };

/** The marks' accessible name in the reader's language: how many, and the words written on the photo. */
export function marksLabel(marks: Shape[], t: (key: string, vars: Record<string, string | number>) => string): string {
  const texts = marks.flatMap((m) => ('label' in m && m.label.text.trim() ? [m.label.text.trim()] : []));
  return t(texts.length ? 'a11y.marksText' : 'a11y.marks', { n: marks.length, texts: texts.join(' / ') });
}

/**
 * The unit's floor plan with the defect's room shaded and the pin. Over the
 * uploaded plan image when there is one (an img element with data-hash that the page
 * loads; the overlay is stretched over it, as marks over a photo, since pins
 * and outlines are normalised image coordinates), else the outlines alone.
 * The pin is a round-capped dot whose size does not stretch with the image.
 */
export function planSvg(item: { plan: PlanRoom[]; pin: Point | null; plan_image?: string | null }, pick: (t: I18nText) => string,
  labels?: PlanLabels): Html {
  const n = (v: number) => (Number(v) * 100).toFixed(2);
  const image = item.plan_image ?? null;
  const rooms = item.plan.map((r) => {
    const mid = outlineMiddle(r.outline);
    const fill = r.here ? 'rgba(255, 160, 60, 0.35)' : image ? 'none' : '#fff';
    return html`<polygon points="${polygonPoints(r.outline)}" fill="${fill}" stroke="#888" stroke-width="1" vector-effect="non-scaling-stroke" /><text x="${n(mid.x)}" y="${n(mid.y)}" text-anchor="middle" font-size="4" fill="#555">${pick(r.name)}</text>`;
  });
  const pin = item.pin
    ? html`<line data-testid="pin" data-x="${item.pin.x}" data-y="${item.pin.y}" x1="${n(item.pin.x)}" y1="${n(item.pin.y)}" x2="${n(item.pin.x)}" y2="${n(item.pin.y)}" stroke="#e62828" stroke-width="12" stroke-linecap="round" vector-effect="non-scaling-stroke" />`
    : '';
  const name = labels ? html`role="img" aria-label="${labels.overlay}"` : html`aria-hidden="true"`;
  const overlay = html`<svg ${name} class="${image ? 'plan-overlay' : 'plan'}" ${image ? '' : html`data-testid="plan"`} viewBox="0 0 100 100" preserveAspectRatio="none">${rooms}${pin}</svg>`;
  if (!image) return overlay;
  return html`<div class="plan-image" data-testid="plan"><img data-hash="${image}" data-testid="plan-image" loading="lazy" decoding="async" alt="${labels?.image ?? ''}">${overlay}</div>`;
}
