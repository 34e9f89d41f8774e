import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFilters, choices, marksSvg, planSvg, statusGroup, type Item } from './model.js';

function item(defect: string, building: string, status: Item['status'], rounds: number[]): Item {
  return {
    defect, unit: `${building}-0101`, unit_number: '0101', floor: 1, building: { id: building, name: { zh: building, en: building } },
    room: { zh: '厨房', en: 'Kitchen' }, spot: 'sink', description: 'leak', category: { zh: '渗漏水', en: 'Leakage' },
    severity: 'major', status, attempt: 1, deadline: 0, overdue: false, found_round: rounds[0], rounds, photos: [],
    pin: { x: 0.25, y: 0.5 }, plan_image: null, plan: [{ name: { zh: '厨房', en: 'Kitchen' }, outline: [{ x: 0, y: 0 }, { x: 0.5, y: 0 }, { x: 0.5, y: 1 }, { x: 0, y: 1 }], here: true }],
    fix: null, undo_until: null,
  };
}

const items = [
  item('a', 'B1', 'assigned', [1]),
  item('b', 'B2', 'failed_recheck', [1, 2]),
  item('c', 'B1', 'reported_fixed', [2]),
  item('d', 'B2', 'verified', [1]),
];

test('filters by building, status group and round, keeping the order', () => {
  const ids = (f: Parameters<typeof applyFilters>[1]) => applyFilters(items, f).map((i) => i.defect);
  const cases: [Parameters<typeof applyFilters>[1], string[]][] = [
    [{ building: '', status: 'all', round: 0 }, ['a', 'b', 'c', 'd']],
    [{ building: 'B1', status: 'all', round: 0 }, ['a', 'c']],
    [{ building: '', status: 'todo', round: 0 }, ['a', 'b']],
    [{ building: '', status: 'reported_fixed', round: 0 }, ['c']],
    [{ building: '', status: 'closed', round: 0 }, ['d']],
    [{ building: '', status: 'all', round: 2 }, ['b', 'c']],
    [{ building: 'B2', status: 'todo', round: 2 }, ['b']],
  ];
  for (const [f, expected] of cases) assert.deepEqual(ids(f), expected, JSON.stringify(f));
  assert.equal(statusGroup('accepted_risk'), 'closed');
});

test('filter menus list each building and round once', () => {
  const c = choices(items);
  assert.deepEqual(c.buildings.map((b) => b.id), ['B1', 'B2']);
  assert.deepEqual(c.rounds, [1, 2]);
});

test('marks and the pin are drawn where they are stored, text escaped', () => {
  const svg = String(marksSvg([
    { circle: { center: { x: 0.5, y: 0.25 }, radius: 0.1 } },
    { arrow: { from: { x: 0, y: 0 }, to: { x: 0.5, y: 0.5 } } },
    { label: { at: { x: 0.1, y: 0.9 }, text: '<空鼓>' } },
  ]));
  assert.match(svg, /data-count="3"/);
  assert.match(svg, /cx="50.00" cy="25.00" rx="10.00"/);
  assert.match(svg, /x2="50.00" y2="50.00"/);
  assert.match(svg, /&lt;空鼓&gt;/);
  const plan = String(planSvg(items[0], (t) => t.zh));
  assert.match(plan, /data-testid="pin" data-x="0.25" data-y="0.5" x1="25.00" y1="50.00"/);
  assert.match(plan, /points="0.00,0.00 50.00,0.00 50.00,100.00 0.00,100.00" fill="rgba\(255, 160, 60, 0.35\)"/);
  assert.doesNotMatch(plan, /<img/, 'no plan image: outlines alone');
  const withImage = String(planSvg({ ...items[0], plan_image: 'ab"c' }, (t) => t.zh));
  assert.match(withImage, /<img data-hash="ab&quot;c" data-testid="plan-image"/);
  assert.match(withImage, /class="plan-overlay"/);
});

