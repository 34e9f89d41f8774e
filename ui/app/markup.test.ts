import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkupHistory, marksSvg, shapeFromGesture, toNormalised } from './markup.js';

test('pointer positions are normalised to the photo and clamped', () => {
  const box = { left: 100, top: 50, width: 400, height: 300 };
  assert.deepEqual(toNormalised(300, 200, box), { x: 0.5, y: 0.5 });
  assert.deepEqual(toNormalised(0, 1000, box), { x: 0, y: 1 });
});

test('a drag draws a circle whose radius is the drag length in widths', () => {
  // 4:3 photo: aspect 0.75; a drag 0.3 across is 0.3 widths.
  assert.deepEqual(shapeFromGesture('circle', { x: 0.5, y: 0.5 }, { x: 0.8, y: 0.5 }, 0.75), { kind: 'circle', x: 0.5, y: 0.5, r: 0.3 });
  // Down by 0.4 of the height is 0.3 widths on a 4:3 photo.
  assert.equal((shapeFromGesture('circle', { x: 0.5, y: 0.2 }, { x: 0.5, y: 0.6 }, 0.75) as { r: number }).r, 0.3);
  // A tap draws a default circle; a huge drag is capped.
  assert.equal((shapeFromGesture('circle', { x: 0.5, y: 0.5 }, { x: 0.505, y: 0.5 }, 0.75) as { r: number }).r, 0.08);
  assert.equal((shapeFromGesture('circle', { x: 0, y: 0 }, { x: 1, y: 1 }, 1) as { r: number }).r, 0.5);
});

test('an arrow points from where the drag starts to where it ends; a tap points at the spot from inside the photo', () => {
  assert.deepEqual(shapeFromGesture('arrow', { x: 0.1, y: 0.1 }, { x: 0.6, y: 0.7 }, 0.75), { kind: 'arrow', x1: 0.1, y1: 0.1, x2: 0.6, y2: 0.7 });
  const tapped = shapeFromGesture('arrow', { x: 0.05, y: 0.05 }, { x: 0.05, y: 0.05 }, 1)!;
  assert.equal(tapped.kind, 'arrow');
  if (tapped.kind === 'arrow') {
    assert.deepEqual([tapped.x2, tapped.y2], [0.05, 0.05]);
    assert.ok(tapped.x1 >= 0 && tapped.x1 <= 1 && tapped.y1 >= 0 && tapped.y1 <= 1);
    assert.notDeepEqual([tapped.x1, tapped.y1], [tapped.x2, tapped.y2]);
  }
});

test('a label needs 1 to 40 characters of text', () => {
  assert.equal(shapeFromGesture('label', { x: 0.2, y: 0.3 }, { x: 0.2, y: 0.3 }, 1, '  '), null);
  assert.equal(shapeFromGesture('label', { x: 0.2, y: 0.3 }, { x: 0.2, y: 0.3 }, 1, 'x'.repeat(41)), null);
  assert.deepEqual(shapeFromGesture('label', { x: 0.2, y: 0.3 }, { x: 0.2, y: 0.3 }, 1, ' 空鼓 '), { kind: 'label', x: 0.2, y: 0.3, text: '空鼓' });
});

test('undo takes back additions and removals in order', () => {
  const h = new MarkupHistory([{ id: 'm1', shape: { kind: 'circle', x: 0.5, y: 0.5, r: 0.1 } }]);
  assert.equal(h.canUndo, false);
  h.add({ kind: 'label', x: 0.1, y: 0.1, text: 'A' });
  h.remove(0);
  assert.deepEqual(h.marks.map((m) => m.shape.kind), ['label']);
  h.undo();
  assert.deepEqual(h.marks.map((m) => m.shape.kind), ['circle', 'label']);
  h.undo();
  assert.deepEqual(h.marks.map((m) => m.id), ['m1']);
  assert.equal(h.canUndo, false);
});

test('marks draw over a photo of any shape: circles stay round, labels are escaped', () => {
  const svg = String(marksSvg([
    { id: '', shape: { kind: 'circle', x: 0.5, y: 0.5, r: 0.1 } },
    { id: '', shape: { kind: 'label', x: 0.1, y: 0.9, text: '<b>' } },
  ], 0.75));
  assert.match(svg, /viewBox="0 0 1000 750"/);
  assert.match(svg, /cx="500" cy="375" r="100"/);
  assert.match(svg, /&lt;b&gt;/);
});
