// The unit's floor plan, drawn from its rooms' outlines (they travel in the
// project document, so the plan is there offline), with defect pins.

import type { Pin, RoomView } from './bindings.js';
import { Html, html } from '../shared/dom.js';

const W = 1000, H = 700;

/** The room a point of the plan falls in, if any. */
export function roomAt(rooms: RoomView[], p: Pin): RoomView | undefined {
  return rooms.find((r) => r.plan_area && p.x >= r.plan_area.x && p.x <= r.plan_area.x + r.plan_area.w
    && p.y >= r.plan_area.y && p.y <= r.plan_area.y + r.plan_area.h);
}

/** The plan as SVG: rooms (the current one highlighted) and numbered pins. */
export function planSvg(rooms: RoomView[], names: (r: RoomView) => string, pins: { pin: Pin; label: string; active?: boolean }[], current?: string): Html {
  const roomsSvg = rooms.filter((r) => r.plan_area).map((r) => {
    const a = r.plan_area!;
    const cls = r.id === current ? 'room current' : 'room';
    return html`<g class="${cls}"><rect x="${a.x * W}" y="${a.y * H}" width="${a.w * W}" height="${a.h * H}"/>\
<text x="${(a.x + a.w / 2) * W}" y="${(a.y + a.h / 2) * H}" text-anchor="middle">${names(r)}</text></g>`;
  });
  const pinsSvg = pins.map((p) => html`<g class="pin${p.active ? ' active' : ''}" transform="translate(${p.pin.x * W} ${p.pin.y * H})">\
<circle r="18"/><text y="7" text-anchor="middle">${p.label}</text></g>`);
  return html`<svg class="plan" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet">${roomsSvg}${pinsSvg}</svg>`;
}
