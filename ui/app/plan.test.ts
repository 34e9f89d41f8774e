import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSvg, roomAt } from './plan.js';
import type { RoomView } from './bindings.js';

const room = (id: string, x: number, y: number, w: number, h: number): RoomView => ({
  id, kind: 'bedroom', name: { zh: id, en: id }, outline: [{ x, y }, { x: x + w, y }, { x: x + w, y: y + h }, { x, y: y + h }], items: [],
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

test('a polygon outline holds the pins inside it only', () => {
  const tri: RoomView = { id: 'tri', kind: 'bedroom', name: { zh: 't', en: 't' }, outline: [{ x: 0.6, y: 0.1 }, { x: 0.9, y: 0.1 }, { x: 0.75, y: 0.5 }], items: [] };
  assert.equal(roomAt([tri], { x: 0.75, y: 0.2 })?.id, 'tri');
  assert.equal(roomAt([tri], { x: 0.62, y: 0.45 }), undefined, 'inside the bounding box, outside the triangle');
});

test('over an uploaded plan image the outlines and pins are image coordinates', () => {
  const svg = String(planSvg([room('bed', 0.5, 0, 0.5, 0.5)], (r) => r.name.en, [{ pin: { x: 0.25, y: 0.75 }, label: '1' }], 'bed', 'abc'));
  assert.match(svg, /<img data-photo="abc" data-variant="preview"/);
  assert.match(svg, /points="500.0,0.0 1000.0,0.0 1000.0,500.0 500.0,500.0"/);
  assert.match(svg, /data-x="0.25" data-y="0.75"><line x1="250" y1="750"/);
});
