// The unit's floor plan with defect pins: the unit type's uploaded plan
// image (read through the app's `photo` command, so it is there offline once
// fetched) with the rooms' outlines over it, or the outlines alone (the
// demo's plans). Outlines and pins are normalised image coordinates.

import type { Pin, RoomView } from './bindings.js';
import { Html, html } from '../shared/dom.js';

const W = 1000, H = 700;

/** Whether `p` lies inside (or on the edge of) the polygon `outline` (even-odd rule). */
export function inOutline(outline: Pin[], p: Pin): boolean {
  if (outline.length < 3) return false;
  let inside = false;
  for (let i = 0, j = outline.length - 1; i < outline.length; j = i++) {
    const a = outline[i], b = outline[j];
    if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** The room a point of the plan falls in, if any. */
export function roomAt(rooms: RoomView[], p: Pin): RoomView | undefined {
  return rooms.find((r) => inOutline(r.outline, p));
}

/** A pin drawn on the plan: `active` is the defect being edited, `cursor` the keyboard's pin not placed yet. */
export interface PlanPin { pin: Pin; label: string; active?: boolean; cursor?: boolean }

const pinClass = (p: PlanPin) => `pin${p.active ? ' active' : ''}${p.cursor ? ' cursor' : ''}`;

/** The middle of an outline (the average of its corners). */
export function outlineMiddle(o: Pin[]): Pin {
  return { x: o.reduce((a, p) => a + p.x, 0) / o.length, y: o.reduce((a, p) => a + p.y, 0) / o.length };
}

/** One press of an arrow key moves the keyboard's pin this far (Shift: five times as far). */
export const KEY_STEP = 0.01;

/**
 * Where the keyboard's pin starts on a plan that receives focus: the pin
 * already placed, else the middle of the defect's room when it is
 * outlined (where a pin must go), else the middle of the plan.
 */
export function keyboardStart(rooms: RoomView[], room: string | null | undefined, pin: Pin | null | undefined): Pin {
  if (pin) return { ...pin };
  const r = rooms.find((x) => x.id === room && x.outline.length >= 3);
  return r ? outlineMiddle(r.outline) : { x: 0.5, y: 0.5 };
}

/**
 * The keyboard's pin after the key `key` (an arrow moves it by
 * `KEY_STEP`, five times as far with Shift, never off the plan), or null
 * for a key that does not move it.
 */
export function movePin(p: Pin, key: string, shift = false): Pin | null {
  const step = shift ? KEY_STEP * 5 : KEY_STEP;
  const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  const m = moves[key];
  if (!m) return null;
  const clamp = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  return { x: clamp(p.x + m[0]), y: clamp(p.y + m[1]) };
}

/**
 * The plan: rooms (the current one highlighted) and numbered pins. With
 * `image` (a photo hash), an img element with data-photo that the page loads, with the
 * outlines and pins stretched over it; without, an SVG of the outlines in a
 * 10:7 box.
 */
export function planSvg(rooms: RoomView[], names: (r: RoomView) => string, pins: PlanPin[], current?: string | null, image?: string | null,
  labels?: { image: string; overlay: string }): Html {
  // Named for a screen reader when `labels` are given (the plan image's alt, the outlines' role="img").
  const name = labels ? html`role="img" aria-label="${labels.overlay}"` : html`aria-hidden="true"`;
  const w = image ? 1000 : W, hh = image ? 1000 : H;
  const mid = outlineMiddle;
  const roomsSvg = rooms.filter((r) => r.outline.length >= 3).map((r) => {
    const cls = r.id === current ? 'room current' : 'room';
    const m = mid(r.outline);
    return html`<g class="${cls}" data-room="${r.id}"><polygon points="${r.outline.map((p) => `${(p.x * w).toFixed(1)},${(p.y * hh).toFixed(1)}`).join(' ')}" vector-effect="non-scaling-stroke"/>\
<text x="${m.x * w}" y="${m.y * hh}" text-anchor="middle">${names(r)}</text></g>`;
  });
  if (!image) {
    const pinsSvg = pins.map((p) => html`<g class="${pinClass(p)}" data-testid="${p.cursor ? 'plan-cursor' : 'plan-pin'}" data-x="${p.pin.x}" data-y="${p.pin.y}" transform="translate(${p.pin.x * W} ${p.pin.y * H})">\
<circle r="18"/><text y="7" text-anchor="middle">${p.label}</text></g>`);
    return html`<svg ${name} class="plan" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet">${roomsSvg}${pinsSvg}</svg>`;
  }
  // Over an image the overlay stretches; a round-capped dot keeps its size.
  const pinsSvg = pins.map((p) => html`<g class="${pinClass(p)}" data-testid="${p.cursor ? 'plan-cursor' : 'plan-pin'}" data-x="${p.pin.x}" data-y="${p.pin.y}">\
<line x1="${p.pin.x * w}" y1="${p.pin.y * hh}" x2="${p.pin.x * w}" y2="${p.pin.y * hh}" vector-effect="non-scaling-stroke"/>\
<text x="${p.pin.x * w}" y="${p.pin.y * hh + 10}" text-anchor="middle">${p.label}</text></g>`);
  return html`<div class="plan-image"><img data-photo="${image}" data-variant="preview" data-testid="plan-image" alt="${labels?.image ?? ''}">\
<svg ${name} class="plan-overlay" viewBox="0 0 1000 1000" preserveAspectRatio="none">${roomsSvg}${pinsSvg}</svg></div>`;
}
