import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSvg, roomAt } from './plan.js';
import type { RoomView } from './bindings.js';

const room = (id: string, x: number, y: number, w: number, h: number): RoomView => ({
  id, kind: 'bedroom', name: { zh: id, en: id }, plan_area: { x, y, w, h }, items: [],
});

test('a pin falls in the room whose outline holds it', () => {
  const rooms = [room('living', 0, 0, 0.5, 1), room('bed', 0.5, 0, 0.5, 0.5)];
  assert.equal(roomAt(rooms, { x: 0.2, y: 0.7 })?.id, 'living');
  assert.equal(roomAt(rooms, { x: 0.7, y: 0.2 })?.id, 'bed');
  assert.equal(roomAt(rooms, { x: 0.7, y: 0.9 }), undefined);
});

test('the plan draws rooms, highlights the current one and places pins', () => {
  const svg = String(planSvg([room('bed', 0.5, 0, 0.5, 0.5)], (r) => r.name.en, [{ pin: { x: 0.5, y: 0.5 }, label: '1' }], 'bed'));
  assert.match(svg, /class="room current"/);
  assert.match(svg, /translate\(500 350\)/);
});
