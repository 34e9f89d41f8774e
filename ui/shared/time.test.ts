import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLocal, localDate, localDateTime, todayIn, utcOffset } from './time.js';

test('instants show in the project zone with its offset, whatever the browser zone', () => {
  const t = Date.parse('2026-10-31T17:00:00Z');
  const cases: [string, string, string][] = [
    ['Asia/Shanghai', '2026-11-01 01:00 (UTC+08:00)', '2026-11-01'],
    ['America/New_York', '2026-10-31 13:00 (UTC-04:00)', '2026-10-31'],
    ['Europe/London', '2026-10-31 17:00 (UTC)', '2026-10-31'],
    ['Asia/Kolkata', '2026-10-31 22:30 (UTC+05:30)', '2026-10-31'],
  ];
  for (const [zone, printed, day] of cases) {
    assert.equal(formatLocal(t, zone), printed, zone);
    assert.equal(localDate(t, zone), day, zone);
    assert.equal(formatLocal(new Date(t).toISOString(), zone), printed, `${zone} from RFC 3339`);
  }
  // After New York leaves daylight time (1 Nov 2026) its offset changes.
  assert.equal(utcOffset(Date.parse('2026-11-02T17:00:00Z'), 'America/New_York'), 'UTC-05:00');
});

test('local midnight is where the day changes', () => {
  assert.equal(localDateTime(Date.parse('2026-10-31T15:59:00Z'), 'Asia/Shanghai'), '2026-10-31 23:59');
  assert.equal(localDateTime(Date.parse('2026-10-31T16:00:00Z'), 'Asia/Shanghai'), '2026-11-01 00:00');
  assert.equal(todayIn('Asia/Shanghai', Date.parse('2026-10-31T16:00:00Z')), '2026-11-01');
  assert.equal(todayIn('America/New_York', Date.parse('2026-10-31T16:00:00Z')), '2026-10-31');
  // An empty zone (an old server) reads as Asia/Shanghai.
  assert.equal(localDate(Date.parse('2026-10-31T16:00:00Z'), ''), '2026-11-01');
});
