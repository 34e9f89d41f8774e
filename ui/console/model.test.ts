import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mappingQuery, rowLabel, roomsFromText, listFromText, assignedUnits, nextRound } from './model.js';

test('a column mapping becomes a query string, empty columns left out', () => {
  assert.equal(mappingQuery({}), '');
  assert.equal(mappingQuery({ building: '楼号', floor: '', number: 'Door no', new_unit_types: true }),
    '?building=%E6%A5%BC%E5%8F%B7&number=Door%20no&new_unit_types=true');
  assert.equal(mappingQuery({ header_row: 3, entrance: '单元' }), '?header_row=3&entrance=%E5%8D%95%E5%85%83');
});

test('a row offered as the header shows its non-empty cells, the first six', () => {
  assert.equal(rowLabel(['', '楼栋', '', '单元']), '楼栋 | 单元');
  assert.equal(rowLabel(['a', 'b', 'c', 'd', 'e', 'f', 'g']), 'a | b | c | d | e | f | …');
  assert.equal(rowLabel([]), '');
});

test('rooms from kinds: repeated kinds numbered, unknown kinds refused', () => {
  const rooms = roomsFromText('entrance, bedroom，bedroom kitchen');
  assert.deepEqual(rooms.map(r => r.id), ['entrance', 'bedroom1', 'bedroom2', 'kitchen']);
  assert.deepEqual(rooms[2].name, { zh: '卧室2', en: 'Bedroom 2' });
  assert.equal(rooms[0].name.en, 'Entrance');
  assert.throws(() => roomsFromText('living, garage'), /garage/);
});

test('typed lists are split on commas (also Chinese), spaces and semicolons, without repeats', () => {
  assert.deepEqual(listFromText(' B1, B2；B3 B1 '), ['B1', 'B2', 'B3']);
  assert.deepEqual(listFromText(''), []);
});

test('an assignment covers its buildings and its units', () => {
  const units = [{ id: 'B1-0101', building: 'B1' }, { id: 'B2-0101', building: 'B2' }, { id: 'B2-0201', building: 'B2' }] as never;
  assert.deepEqual(assignedUnits({ units }, { inspector: 'x', buildings: ['B1'], units: ['B2-0201'] }), ['B1-0101', 'B2-0201']);
  assert.equal(nextRound([]), 1);
  assert.equal(nextRound([{ no: 1 }, { no: 2 }] as never), 3);
});
