// The project model as the server sends it (its types generated from the
// server's OpenAPI document: ../shared/api-types.ts),
// and the pure helpers the pages use, unit-tested in model.test.ts.

import type { I18nText, ChecklistTemplate, ChecklistItem, RoomKind, Room, Material, UnitType, Severity, HardKind, Category, Trade, Contact, Contractor, TradeAssignment, Person, RoundAssignment, RoundPlan, Building, Unit, Project, ColumnMapping, RowError, UnitPreview } from '../shared/api-types.js';
export type { RoomKind, Room, Material, UnitType, Severity, HardKind, Category, Trade, Contact, Contractor, TradeAssignment, Person, RoundAssignment, RoundPlan, Building, Unit, Project, ColumnMapping, RowError, UnitPreview };
export type Text = I18nText;
export type Template = ChecklistTemplate;
export type Item = ChecklistItem;
export const ROOM_KINDS: RoomKind[] = ['entrance', 'living', 'dining', 'bedroom', 'study', 'kitchen', 'bathroom', 'balcony', 'utility', 'other'];
/** The columns of a unit list, in the order the mapping shows them. */
export const UNIT_COLUMNS = ['building', 'entrance', 'floor', 'number', 'unit_type', 'unit'] as const;

/** The query string of a column mapping (empty columns left to the server to find). */
export function mappingQuery(m: Partial<ColumnMapping>): string {
  const parts: string[] = [];
  if (m.header_row) parts.push(`header_row=${m.header_row}`);
  for (const k of UNIT_COLUMNS) {
    const v = m[k];
    if (v) parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  if (m.new_unit_types) parts.push('new_unit_types=true');
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A row of a unit list as the header-row choice shows it: its number and first non-empty cells. */
export function rowLabel(cells: string[], max = 6): string {
  const shown = cells.filter(c => c.trim() !== '');
  return shown.slice(0, max).join(' | ') + (shown.length > max ? ' | …' : '');
}

const ROOM_NAMES: Record<RoomKind, Text> = {
  entrance: { zh: '玄关', en: 'Entrance' }, living: { zh: '客厅', en: 'Living room' }, dining: { zh: '餐厅', en: 'Dining room' },
  bedroom: { zh: '卧室', en: 'Bedroom' }, study: { zh: '书房', en: 'Study' }, kitchen: { zh: '厨房', en: 'Kitchen' },
  bathroom: { zh: '卫生间', en: 'Bathroom' }, balcony: { zh: '阳台', en: 'Balcony' }, utility: { zh: '设备间', en: 'Utility room' },
  other: { zh: '其他', en: 'Other' },
};

/**
 * Rooms from a list of room kinds in walking order ("entrance, living,
 * bedroom, bedroom, kitchen, bathroom"); repeated kinds are numbered
 * (bedroom1, bedroom2). Throws naming the first unknown kind.
 */
export function roomsFromText(text: string): Room[] {
  const kinds = text.split(/[,，;\s]+/).map(s => s.trim().toLowerCase()).filter(Boolean);
  const bad = kinds.find(k => !ROOM_KINDS.includes(k as RoomKind));
  if (bad) throw new Error(bad);
  const count = (k: string) => kinds.filter(x => x === k).length;
  const seen: Record<string, number> = {};
  return kinds.map(k => {
    const kind = k as RoomKind;
    seen[kind] = (seen[kind] ?? 0) + 1;
    const n = count(kind) > 1 ? String(seen[kind]) : '';
    return { id: `${kind}${n}`, kind, name: { zh: ROOM_NAMES[kind].zh + n, en: ROOM_NAMES[kind].en + (n ? ` ${n}` : '') }, plan_area: null };
  });
}

/** Split a list typed by a person ("B1, B2；B3") into trimmed, distinct entries. */
export function listFromText(text: string): string[] {
  return [...new Set(text.split(/[,，;；\s]+/).map(s => s.trim()).filter(Boolean))];
}

/** The units an assignment covers in `project` (its buildings' units and its own units). */
export function assignedUnits(project: Pick<Project, 'units'>, a: RoundAssignment): string[] {
  const out = new Set(a.units);
  for (const u of project.units) if (a.buildings.includes(u.building)) out.add(u.id);
  return [...out].sort();
}

/** The next round number to plan. */
export function nextRound(rounds: RoundPlan[]): number {
  return rounds.reduce((m, r) => Math.max(m, r.no), 0) + 1;
}
