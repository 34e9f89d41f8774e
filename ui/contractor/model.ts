// The contractor page's logic without the DOM: the payload's shape (types
// generated from the server's OpenAPI document) and filters. Marks and the floor-plan
// pin are drawn by ../shared/marks.ts. Tested by model.test.ts.

import type { I18nText } from '../shared/marks.js';
export type { I18nText, Point, Rect, Shape } from '../shared/marks.js';
// Marks and the floor plan are drawn by the shared code (the dashboard draws them too).
export { marksSvg, planSvg } from '../shared/marks.js';
// Server JSON: types generated from the OpenAPI document.
import type { ContractorItem, ContractorPage, DefectStatus, DueSummary } from '../shared/api-types.js';
export type { DueSummary };
export type Status = DefectStatus;
export type Item = ContractorItem;
export type Page = ContractorPage;


/** The status filter's groups. */
export type StatusFilter = 'all' | 'todo' | 'reported_fixed' | 'closed';

export interface Filters {
  building: string; // '' for all
  status: StatusFilter;
  round: number; // 0 for all
}

export function statusGroup(s: Status): StatusFilter {
  if (s === 'assigned' || s === 'failed_recheck' || s === 'open') return 'todo';
  if (s === 'reported_fixed') return 'reported_fixed';
  return 'closed';
}

/** The items the filters let through, in the server's order (overdue first). */
export function applyFilters(items: Item[], f: Filters): Item[] {
  return items.filter(
    (i) =>
      (f.building === '' || i.building.id === f.building) &&
      (f.status === 'all' || statusGroup(i.status) === f.status) &&
      (f.round === 0 || i.rounds.includes(f.round)),
  );
}

/** Distinct buildings and rounds, for the filter menus. */
export function choices(items: Item[]): { buildings: { id: string; name: I18nText }[]; rounds: number[] } {
  const buildings = new Map<string, I18nText>();
  const rounds = new Set<number>();
  for (const i of items) {
    buildings.set(i.building.id, i.building.name);
    i.rounds.forEach((r) => rounds.add(r));
  }
  return {
    buildings: [...buildings.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => ({ id, name })),
    rounds: [...rounds].sort((a, b) => a - b),
  };
}
