import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_STEP, keyboardStart, movePin, planSvg, roomAt } from './plan.js';
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

test('the keyboard pin starts at the placed pin, else in the middle of the defect\'s room, else in the middle of the plan', () => {
  const rooms = [room('living', 0, 0, 0.5, 1), room('bed', 0.5, 0, 0.5, 0.5)];
  assert.deepEqual(keyboardStart(rooms, 'bed', { x: 0.6, y: 0.1 }), { x: 0.6, y: 0.1 });
  assert.deepEqual(keyboardStart(rooms, 'bed', null), { x: 0.75, y: 0.25 });
  assert.deepEqual(keyboardStart(rooms, 'kitchen', null), { x: 0.5, y: 0.5 }, 'a room without an outline');
  assert.deepEqual(keyboardStart([], null, undefined), { x: 0.5, y: 0.5 });
});

test('arrow keys move the keyboard pin a step (Shift five), other keys do not, and it never leaves the plan', () => {
  const check = (from: { x: number; y: number }, key: string, shift: boolean, expected: { x: number; y: number } | null) =>
    assert.deepEqual(movePin(from, key, shift), expected, `${key}${shift ? '+Shift' : ''} from ${JSON.stringify(from)}`);
  const p = { x: 0.5, y: 0.5 };
  check(p, 'ArrowRight', false, { x: 0.5 + KEY_STEP, y: 0.5 });
  check(p, 'ArrowLeft', false, { x: 0.5 - KEY_STEP, y: 0.5 });
  check(p, 'ArrowUp', false, { x: 0.5, y: 0.5 - KEY_STEP });
  check(p, 'ArrowDown', false, { x: 0.5, y: 0.5 + KEY_STEP });
  check(p, 'ArrowRight', true, { x: 0.55, y: 0.5 });
  check(p, 'Enter', false, null);
  check(p, 'a', false, null);
  check({ x: 0.995, y: 0.002 }, 'ArrowRight', false, { x: 1, y: 0.002 });
  check({ x: 0.995, y: 0.002 }, 'ArrowUp', true, { x: 0.995, y: 0 });
  check({ x: 0, y: 1 }, 'ArrowLeft', false, { x: 0, y: 1 });
  // Ten steps right and back land where they started (no drift from floating point).
  let q = { x: 0.3, y: 0.3 };
  for (let i = 0; i < 10; i++) q = movePin(q, 'ArrowRight')!;
  for (let i = 0; i < 10; i++) q = movePin(q, 'ArrowLeft')!;
  assert.deepEqual(q, { x: 0.3, y: 0.3 });
});

test('the keyboard pin is drawn apart from the placed one, with its position', () => {
  const svg = String(planSvg([room('bed', 0.5, 0, 0.5, 0.5)], (r) => r.name.en,
    [{ pin: { x: 0.6, y: 0.2 }, label: '1', active: true }, { pin: { x: 0.7, y: 0.3 }, label: '+', cursor: true }], 'bed'));
  assert.match(svg, /class="pin active" data-testid="plan-pin" data-x="0.6" data-y="0.2"/);
  assert.match(svg, /class="pin cursor" data-testid="plan-cursor" data-x="0.7" data-y="0.3"/);
});
