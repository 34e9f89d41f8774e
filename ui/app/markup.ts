// Chalk marks on a photo: the geometry of turning a gesture into a shape,
// the undo history, and drawing marks as SVG over a photo of any size.
// Shapes are in normalised image coordinates (0–1 across and down); a
// circle's radius is a fraction of the image's width. Nothing here touches
// the photo itself: marks are vectors, stored apart from the original.

import type { MarkView, ShapeView } from './bindings.js';
import { Html, html, raw } from '../shared/dom.js';

export type Tool = 'circle' | 'arrow' | 'label';
export interface P { x: number; y: number }

/** A tap shorter than this (in widths) is a tap, not a drag. */
const TAP = 0.02;
const DEFAULT_RADIUS = 0.08;
const DEFAULT_ARROW = 0.15;
export const MAX_LABEL = 40;

export const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const round4 = (v: number) => Math.round(v * 10000) / 10000;

/** A pointer position over an element, normalised to it. */
export function toNormalised(clientX: number, clientY: number, box: { left: number; top: number; width: number; height: number }): P {
  return { x: round4(clamp01((clientX - box.left) / box.width)), y: round4(clamp01((clientY - box.top) / box.height)) };
}

/** Distance between two points, in image widths (`aspect` = height / width). */
export function distance(a: P, b: P, aspect: number): number {
  return Math.hypot(b.x - a.x, (b.y - a.y) * aspect);
}

/**
 * The shape a gesture draws: from where the finger went down to where it
 * came up. A tap draws a default-sized circle or arrow at the spot; a label
 * needs its text. Returns null when there is nothing valid to draw.
 */
export function shapeFromGesture(tool: Tool, start: P, end: P, aspect: number, text = ''): ShapeView | null {
  const tap = distance(start, end, aspect) < TAP;
  switch (tool) {
    case 'circle': {
      const r = tap ? DEFAULT_RADIUS : Math.min(0.5, distance(start, end, aspect));
      return { kind: 'circle', x: start.x, y: start.y, r: round4(r) };
    }
    case 'arrow': {
      if (tap) {
        // Pointing at the tapped spot from up-left (or down-right near the top-left corner).
        const dx = start.x >= DEFAULT_ARROW ? -DEFAULT_ARROW : DEFAULT_ARROW;
        const dy = start.y >= DEFAULT_ARROW / aspect ? -DEFAULT_ARROW / aspect : DEFAULT_ARROW / aspect;
        return { kind: 'arrow', x1: round4(clamp01(start.x + dx)), y1: round4(clamp01(start.y + dy)), x2: start.x, y2: start.y };
      }
      return { kind: 'arrow', x1: start.x, y1: start.y, x2: end.x, y2: end.y };
    }
    case 'label': {
      const t = text.trim();
      if (t.length === 0 || [...t].length > MAX_LABEL) return null;
      return { kind: 'label', x: start.x, y: start.y, text: t };
    }
  }
}

/** The marks being edited, with undo. Ids of new marks are empty until saved. */
export class MarkupHistory {
  private past: MarkView[][] = [];
  constructor(public marks: MarkView[]) {}
  add(shape: ShapeView) {
    this.past.push(this.marks);
    this.marks = [...this.marks, { id: '', shape }];
  }
  remove(index: number) {
    if (index < 0 || index >= this.marks.length) return;
    this.past.push(this.marks);
    this.marks = this.marks.filter((_, i) => i !== index);
  }
  get canUndo() { return this.past.length > 0; }
  undo() {
    const prev = this.past.pop();
    if (prev) this.marks = prev;
  }
}


/**
 * The SVG (viewBox 0 0 1000 1000·aspect) of `marks` over a photo. `label` names the marks for a
 * screen reader (role="img"); without one they are hidden from it (the photo's alt says what it shows).
 */
export function marksSvg(marks: MarkView[], aspect: number, testid = 'marks', label?: string): Html {
  const W = 1000, H = Math.round(1000 * aspect);
  const stroke = raw('stroke="#ff3b30" stroke-width="8" fill="none" stroke-linecap="round"');
  const parts = marks.map((m, i) => {
    const s = m.shape;
    switch (s.kind) {
      case 'circle':
        return html`<circle data-mark="${i}" cx="${s.x * W}" cy="${s.y * H}" r="${s.r * W}" ${stroke}/>`;
      case 'arrow': {
        const x1 = s.x1 * W, y1 = s.y1 * H, x2 = s.x2 * W, y2 = s.y2 * H;
        const a = Math.atan2(y2 - y1, x2 - x1), h = 40;
        const p1 = `${x2 - h * Math.cos(a - 0.45)},${y2 - h * Math.sin(a - 0.45)}`;
        const p2 = `${x2 - h * Math.cos(a + 0.45)},${y2 - h * Math.sin(a + 0.45)}`;
        return html`<g data-mark="${i}"><line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" ${stroke}/><polyline points="${p1} ${x2},${y2} ${p2}" ${stroke}/></g>`;
      }
      case 'label':
        return html`<text data-mark="${i}" x="${s.x * W}" y="${s.y * H}" font-size="44" font-weight="700" fill="#ff3b30" stroke="#fff" stroke-width="2" paint-order="stroke">${s.text}</text>`;
    }
  });
  const name = label ? html`role="img" aria-label="${label}"` : html`aria-hidden="true"`;
  return html`<svg ${name} data-testid="${testid}" class="marks" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none">${parts}</svg>`;
}
