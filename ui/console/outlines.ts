// Drawing the rooms' outlines on a unit type's uploaded floor-plan image:
// a rectangle (drag) or a polygon (click its corners, then finish), moved
// by dragging or with the arrow keys, deleted, every step undoable. Saved
// as one `set_room_outlines` edit, which the core checks (corners within the
// plan, at least 3 of them, rooms that exist). Pins already placed are image
// coordinates and do not move when outlines change.
//
// The drafting rules are pure functions (`OutlineDraft`), tested by
// outlines.test.ts; `outlineEditor` puts them on screen.

import { h, html, setHtml } from '../shared/dom.js';
import { outlineMiddle, polygonPoints, type Point } from '../shared/marks.js';
import type { Ctx } from '../shared/shell.js';
import { photoUrl } from './defect.js';
import type { UnitType } from './model.js';

export type Outlines = Record<string, Point[]>;

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const round4 = (v: number) => Math.round(v * 10000) / 10000;
const pt = (x: number, y: number): Point => ({ x: round4(clamp01(x)), y: round4(clamp01(y)) });

/** The rectangle spanned by two corners, as a polygon (clockwise from top left). */
export function rectOutline(a: Point, b: Point): Point[] {
  const [l, r] = [Math.min(a.x, b.x), Math.max(a.x, b.x)], [t, bt] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  return [pt(l, t), pt(r, t), pt(r, bt), pt(l, bt)];
}

/** `outline` shifted by (dx, dy), kept whole within the plan. */
export function moveOutline(outline: Point[], dx: number, dy: number): Point[] {
  const xs = outline.map((p) => p.x), ys = outline.map((p) => p.y);
  const cx = Math.min(Math.max(dx, -Math.min(...xs)), 1 - Math.max(...xs));
  const cy = Math.min(Math.max(dy, -Math.min(...ys)), 1 - Math.max(...ys));
  return outline.map((p) => pt(p.x + cx, p.y + cy));
}

/** The outlines being drawn, with every earlier state kept for undo. */
export class OutlineDraft {
  private history: Outlines[] = [];
  constructor(public outlines: Outlines) {}
  private push(next: Outlines) { this.history.push(this.outlines); this.outlines = next; }
  set(room: string, outline: Point[]) { this.push({ ...this.outlines, [room]: outline }); }
  remove(room: string) { if (this.outlines[room]?.length) this.set(room, []); }
  move(room: string, dx: number, dy: number) {
    const o = this.outlines[room];
    if (o?.length) this.set(room, moveOutline(o, dx, dy));
  }
  /** A drag: one undo step however many moves it makes. */
  moveFrom(start: Outlines, room: string, dx: number, dy: number) {
    const o = start[room];
    if (o?.length) this.outlines = { ...start, [room]: moveOutline(o, dx, dy) };
  }
  mark() { this.history.push(this.outlines); }
  get canUndo() { return this.history.length > 0; }
  undo() { const prev = this.history.pop(); if (prev) this.outlines = prev; }
  /** The edit that saves them: every room, an empty outline for one not drawn. */
  edit(unitType: string, rooms: string[]) {
    return { op: 'set_room_outlines', unit_type: unitType, outlines: rooms.map((room) => ({ room, outline: this.outlines[room] ?? [] })) };
  }
}

/** The outlines a unit type has now (a drawn polygon, or an imported rectangle's corners). */
export function currentOutlines(ut: UnitType): Outlines {
  const out: Outlines = {};
  for (const r of ut.rooms) {
    const a = r.plan_area as { x: number; y: number; w: number; h: number } | null | undefined;
    out[r.id] = r.outline?.length ? r.outline : a ? rectOutline({ x: a.x, y: a.y }, { x: a.x + a.w, y: a.y + a.h }) : [];
  }
  return out;
}

type Tool = 'rect' | 'polygon' | 'move';

/** The editor for one unit type; `save` sends the edit (and re-renders on success). */
export function outlineEditor(ctx: Ctx, ut: UnitType, save: (edit: Record<string, unknown> & { op: string }, err: HTMLElement) => Promise<boolean>, close: () => void): HTMLElement {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const draft = new OutlineDraft(currentOutlines(ut));
  let tool: Tool = 'rect';
  let room = ut.rooms[0]?.id ?? '';
  let corners: Point[] = [];
  let drag: { from: Point; start: Outlines } | null = null;
  let dragNow: Point | null = null;
  const err = h('p', { class: 'error', testid: 'outline-error', hidden: true });
  const status = h('p', { class: 'muted', testid: 'outline-status', 'aria-live': 'polite' });
  const img = h('img', { alt: t('outline.imageAlt'), testid: 'outline-image', draggable: 'false' });
  const overlay = h('div', { class: 'outline-overlay' });
  const surface = h('div', { class: 'plan-image outline-surface', testid: 'outline-surface', tabindex: '0', 'aria-label': t('outline.surface') }, img, overlay);
  photoUrl(ctx, ut.floor_plan!).then((url) => { img.src = url; }).catch((e) => showErr(String(e)));

  const name = (id: string) => ctx.i18n.pick(ut.rooms.find((r) => r.id === id)?.name) || id;
  const roomSelect = h('select', { testid: 'outline-room', onchange: () => { room = roomSelect.value; corners = []; draw(); } },
    ut.rooms.map((r) => h('option', { value: r.id }, `${ctx.i18n.pick(r.name)} (${r.id})`)));
  const toolButton = (k: Tool) => h('button', { type: 'button', testid: `outline-tool-${k}`, 'aria-pressed': 'false', onclick: () => { tool = k; corners = []; draw(); } }, t(`outline.${k}`));
  const tools = (['rect', 'polygon', 'move'] as Tool[]).map(toolButton);
  const finish = h('button', { type: 'button', testid: 'outline-finish', onclick: () => finishPolygon() }, t('outline.finish'));
  const del = h('button', { type: 'button', testid: 'outline-delete', onclick: () => { draft.remove(room); draw(); } }, t('outline.delete'));
  const undo = h('button', { type: 'button', testid: 'outline-undo', onclick: () => { corners.length ? corners.pop() : draft.undo(); draw(); } }, t('outline.undo'));
  const saveBtn = h('button', { type: 'button', class: 'primary', testid: 'outline-save', onclick: async () => {
    err.hidden = true;
    if (await save(draft.edit(ut.id, ut.rooms.map((r) => r.id)), err)) close();
  } }, t('save'));
  const cancel = h('button', { type: 'button', testid: 'outline-cancel', onclick: close }, t('outline.cancel'));

  function showErr(message: string) { err.hidden = false; err.textContent = message; }
  function finishPolygon() {
    if (corners.length < 3) return showErr(t('outline.needCorners'));
    err.hidden = true;
    draft.set(room, corners);
    corners = [];
    draw();
  }
  function at(e: PointerEvent | MouseEvent): Point {
    const box = img.getBoundingClientRect();
    return pt((e.clientX - box.left) / box.width, (e.clientY - box.top) / box.height);
  }
  function draw() {
    roomSelect.value = room;
    tools.forEach((b, i) => b.setAttribute('aria-pressed', String(['rect', 'polygon', 'move'][i] === tool)));
    finish.hidden = tool !== 'polygon';
    (undo as HTMLButtonElement).disabled = !draft.canUndo && corners.length === 0;
    const shapes = ut.rooms.filter((r) => draft.outlines[r.id]?.length >= 3).map((r) => {
      const o = draft.outlines[r.id];
      const mid = outlineMiddle(o);
      return html`<polygon data-testid="outline-${r.id}" data-corners="${o.length}" class="${r.id === room ? 'outline current' : 'outline'}" points="${polygonPoints(o)}" vector-effect="non-scaling-stroke" /><text x="${(mid.x * 100).toFixed(2)}" y="${(mid.y * 100).toFixed(2)}" text-anchor="middle" font-size="3.5">${name(r.id)}</text>`;
    });
    const pending = tool === 'rect' && drag && dragNow ? rectOutline(drag.from, dragNow) : corners;
    const pendingSvg = pending.length
      ? html`<polyline class="outline pending" points="${polygonPoints(pending)}" vector-effect="non-scaling-stroke" />${pending.map((p) => html`<line class="corner" x1="${(p.x * 100).toFixed(2)}" y1="${(p.y * 100).toFixed(2)}" x2="${(p.x * 100).toFixed(2)}" y2="${(p.y * 100).toFixed(2)}" vector-effect="non-scaling-stroke" />`)}`
      : '';
    setHtml(overlay, html`<svg viewBox="0 0 100 100" preserveAspectRatio="none">${shapes}${pendingSvg}</svg>`);
    const drawn = ut.rooms.filter((r) => draft.outlines[r.id]?.length >= 3).length;
    status.textContent = t('outline.status', { room: name(room), drawn, rooms: ut.rooms.length })
      + (tool === 'polygon' ? ` · ${t('outline.corners', { n: corners.length })}` : '');
  }

  surface.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    const p = at(e);
    if (tool === 'polygon') { corners.push(p); draw(); return; }
    surface.setPointerCapture?.(e.pointerId);
    drag = { from: p, start: draft.outlines };
    dragNow = p;
    if (tool === 'move') draft.mark();
  });
  surface.addEventListener('pointermove', (e) => {
    if (!drag) return;
    dragNow = at(e);
    if (tool === 'move') draft.moveFrom(drag.start, room, dragNow.x - drag.from.x, dragNow.y - drag.from.y);
    draw();
  });
  surface.addEventListener('pointerup', (e) => {
    if (!drag) return;
    const end = at(e);
    if (tool === 'rect') {
      const r = rectOutline(drag.from, end);
      if (Math.abs(end.x - drag.from.x) > 0.005 && Math.abs(end.y - drag.from.y) > 0.005) draft.set(room, r);
    }
    drag = null; dragNow = null;
    draw();
  });
  // The keyboard: arrows move the chosen room's outline, Enter finishes a polygon.
  surface.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 0.05 : 0.01;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const m = moves[e.key];
    if (m) { e.preventDefault(); draft.move(room, m[0], m[1]); draw(); }
    else if (e.key === 'Enter' && tool === 'polygon') { e.preventDefault(); finishPolygon(); }
    else if ((e.key === 'z' && (e.ctrlKey || e.metaKey))) { e.preventDefault(); undo.click(); }
  });
  draw();
  return h('section', { class: 'panel outline-editor', testid: `outline-editor-${ut.id}` },
    h('h4', {}, t('outline.title', { name: ctx.i18n.pick(ut.name) })),
    h('p', { class: 'muted' }, t('outline.help')),
    h('div', { class: 'row' }, h('label', {}, t('outline.room'), ' ', roomSelect), h('span', { role: 'group', 'aria-label': t('outline.tools') }, ...tools), finish, del, undo),
    surface, status, err, h('div', { class: 'row' }, saveBtn, cancel));
}
