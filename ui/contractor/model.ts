// The contractor page's logic without the DOM: the payload's shape (it
// mirrors core/src/wire/dispatch.rs) and filters. Marks and the floor-plan
// pin are drawn by ../shared/marks.ts. Tested by model.test.ts.

import type { I18nText, Point, PlanRoom, Shape } from '../shared/marks.js';
export type { I18nText, Point, Rect, Shape } from '../shared/marks.js';
// Marks and the floor plan are drawn by the shared code (the dashboard draws them too).
export { marksSvg, planSvg } from '../shared/marks.js';
export type Status = 'open' | 'assigned' | 'failed_recheck' | 'reported_fixed' | 'verified' | 'accepted_risk' | 'withdrawn';

export interface Item {
  defect: string;
  unit: string;
  unit_number: string;
  floor: number;
  building: { id: string; name: I18nText };
  room: I18nText;
  spot: string;
  description: string;
  category: I18nText;
  severity: string;
  status: Status;
  attempt: number;
  deadline: number | null;
  overdue: boolean;
  found_round: number;
  rounds: number[];
  photos: { hash: string; marks: Shape[] }[];
  pin: Point | null;
  plan: PlanRoom[];
  /** The unit type's floor-plan image (a photo hash), drawn under the pin. */
  plan_image: string | null;
  fix: { note: string; photo: string | null; at: number } | null;
  undo_until: number | null;
}

/** How many items are overdue, and how many more fall due within `days`. */
export interface DueSummary {
  overdue: number;
  due_soon: number;
  days: number;
}

export interface Page {
  project: { id: string; name: I18nText };
  contractor: { id: string; name: I18nText };
  /** The project's IANA time zone: deadlines and times show in it. */
  time_zone: string;
  now: number;
  due: DueSummary;
  items: Item[];
}

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
