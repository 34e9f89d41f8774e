import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutlineDraft, currentOutlines, moveOutline, rectOutline } from './outlines.js';
import type { UnitType } from './model.js';

test('a rectangle is drawn from any two corners, clamped to the plan', () => {
  assert.deepEqual(rectOutline({ x: 0.6, y: 0.5 }, { x: 0.1, y: 1.2 }), [
    { x: 0.1, y: 0.5 }, { x: 0.6, y: 0.5 }, { x: 0.6, y: 1 }, { x: 0.1, y: 1 },
  ]);
});

test('a moved outline keeps its shape and stays within the plan', () => {
  const sq = rectOutline({ x: 0.1, y: 0.1 }, { x: 0.3, y: 0.3 });
  assert.deepEqual(moveOutline(sq, 0.1, 0), rectOutline({ x: 0.2, y: 0.1 }, { x: 0.4, y: 0.3 }));
  assert.deepEqual(moveOutline(sq, -0.5, 0.9), rectOutline({ x: 0, y: 0.8 }, { x: 0.2, y: 1 }), 'stopped at the edges');
});

test('drawing, moving and deleting are undone step by step, and saved as one edit', () => {
  const d = new OutlineDraft({ living: [] });
  assert.equal(d.canUndo, false);
  const tri = [{ x: 0.5, y: 0.1 }, { x: 0.9, y: 0.1 }, { x: 0.7, y: 0.4 }];
  d.set('living', rectOutline({ x: 0, y: 0 }, { x: 0.4, y: 0.5 }));
  d.set('bed1', tri);
  d.move('bed1', 0, 0.1);
  assert.deepEqual(d.outlines.bed1, [{ x: 0.5, y: 0.2 }, { x: 0.9, y: 0.2 }, { x: 0.7, y: 0.5 }]);
  d.remove('living');
  assert.deepEqual(d.outlines.living, []);
  d.undo();
  assert.equal(d.outlines.living.length, 4, 'the delete is undone');
  d.undo();
  assert.deepEqual(d.outlines.bed1, tri, 'the move is undone');
  // A drag is one step however many moves it makes.
  const start = d.outlines;
  d.mark();
  d.moveFrom(start, 'bed1', 0.05, 0);
  d.moveFrom(start, 'bed1', 0.1, 0);
  assert.equal(d.outlines.bed1[0].x, 0.6);
  d.undo();
  assert.deepEqual(d.outlines.bed1, tri);
  assert.deepEqual(d.edit('T1', ['living', 'bed1', 'kitchen']), {
    op: 'set_room_outlines', unit_type: 'T1', outlines: [
      { room: 'living', outline: rectOutline({ x: 0, y: 0 }, { x: 0.4, y: 0.5 }) },
      { room: 'bed1', outline: tri },
      { room: 'kitchen', outline: [] },
    ],
  });
});

test('a unit type\'s outlines: drawn polygons, or an imported rectangle\'s corners', () => {
  const ut = { id: 'A', rooms: [
    { id: 'a', outline: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }] },
    { id: 'b', plan_area: { x: 0.5, y: 0.5, w: 0.5, h: 0.5 } },
    { id: 'c' },
  ] } as unknown as UnitType;
  const o = currentOutlines(ut);
  assert.equal(o.a.length, 3);
  assert.deepEqual(o.b, rectOutline({ x: 0.5, y: 0.5 }, { x: 1, y: 1 }));
  assert.deepEqual(o.c, []);
});
