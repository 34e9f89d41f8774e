// The project model as the server sends it (core/src/model.rs, serde form),
// and the pure helpers the pages use, unit-tested in model.test.ts.

export interface Text { zh: string; en: string }
export type RoomKind = 'entrance' | 'living' | 'dining' | 'bedroom' | 'study' | 'kitchen' | 'bathroom' | 'balcony' | 'utility' | 'other';
export const ROOM_KINDS: RoomKind[] = ['entrance', 'living', 'dining', 'bedroom', 'study', 'kitchen', 'bathroom', 'balcony', 'utility', 'other'];
export interface Room { id: string; kind: RoomKind; name: Text; plan_area?: unknown; outline?: { x: number; y: number }[] }
export interface Material { element: string; name: Text; spec: string; supplier: string; supplier_installs: boolean }
export interface UnitType { id: string; name: Text; area_m2?: number | null; floor_plan?: string | null; template: string; rooms: Room[]; materials: Material[] }
export interface Item {
  code: string; room_kind: RoomKind; element: string; title: Text; standard: Text; method: Text;
  default_category: string; default_trade: string; retired: boolean;
}
export interface Template { id: string; name: Text; items: Item[] }
export type Severity = 'minor' | 'major' | 'critical';
export type HardKind = 'sales_promise' | 'leakage' | 'design_defect';
export interface Category { id: string; name: Text; severity: Severity; deadline_hours: number; deadline_end_of_day: boolean; hard_kind: HardKind | null; is_other: boolean; urgent: boolean }
export interface Trade { id: string; name: Text }
export interface Contact { name: string; phone: string; email: string }
export interface Contractor { id: string; name: Text; kind: 'contractor' | 'supplier'; trades: string[]; contact: Contact }
export interface TradeAssignment { trade: string; building: string | null; contractor: string }
export interface Person { id: string; name: string; role: string; org: string; contractor?: string | null }
export interface RoundAssignment { inspector: string; buildings: string[]; units: string[] }
export interface RoundPlan { no: number; start: string; due: string; assignments: RoundAssignment[]; notes: string }
export interface Building { id: string; name: Text; floors: number; engineer?: string | null }
export interface Unit { id: string; building: string; floor: number; number: string; unit_type: string }
export interface Project {
  id: string; name: Text; handover_date: string; time_zone: string; buildings: Building[]; unit_types: UnitType[]; units: Unit[];
  templates: Template[]; categories: Category[]; trades: Trade[]; contractors: Contractor[];
  trade_assignments: TradeAssignment[]; people: Person[]; rounds: RoundPlan[];
}
export interface ColumnMapping {
  header_row?: number; building?: string; entrance?: string; floor?: string; number?: string; unit_type?: string; unit?: string; new_unit_types?: boolean;
}
/** The columns of a unit list, in the order the mapping shows them. */
export const UNIT_COLUMNS = ['building', 'entrance', 'floor', 'number', 'unit_type', 'unit'] as const;
export interface RowError { row: number; reason: string }
export interface UnitPreview {
  header_row: number; headers: string[]; first_rows: string[][]; mapping: ColumnMapping; units: Unit[];
  new_buildings: string[]; new_unit_types: string[]; errors: RowError[];
}

/** The query string of a column mapping (empty columns left to the server to find). */
export function mappingQuery(m: ColumnMapping): string {
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
    return { id: `${kind}${n}`, kind, name: { zh: ROOM_NAMES[kind].zh + n, en: ROOM_NAMES[kind].en + (n ? ` ${n}` : '') } };
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
