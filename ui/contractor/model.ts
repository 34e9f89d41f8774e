// The contractor page's logic without the DOM: the payload's shape (it
// mirrors core/src/wire/dispatch.rs), filters, and how marks and the floor
// plan pin are drawn (as SVG over the photo / plan). Tested by model.test.ts.

export type I18nText = { zh: string; en: string };
export type Point = { x: number; y: number };
export type Rect = { x: number; y: number; w: number; h: number };
export type Shape =
  | { circle: { center: Point; radius: number } }
  | { arrow: { from: Point; to: Point } }
  | { label: { at: Point; text: string } };
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
  plan: { name: I18nText; area: Rect; here: boolean }[];
  fix: { note: string; photo: string | null; at: number } | null;
  undo_until: number | null;
}

export interface Page {
  project: { id: string; name: I18nText };
  contractor: { id: string; name: I18nText };
  now: number;
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

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** SVG markup (viewBox 0 0 100 100, stretched over the photo) for the marks. */
export function marksSvg(marks: Shape[]): string {
  const parts: string[] = [];
  const p = (v: number) => (v * 100).toFixed(2);
  for (const m of marks) {
    if ('circle' in m) {
      const { center, radius } = m.circle;
      parts.push(`<ellipse cx="${p(center.x)}" cy="${p(center.y)}" rx="${p(radius)}" ry="${p(radius)}" />`);
    } else if ('arrow' in m) {
      const { from, to } = m.arrow;
      parts.push(`<line x1="${p(from.x)}" y1="${p(from.y)}" x2="${p(to.x)}" y2="${p(to.y)}" marker-end="url(#head)" />`);
    } else if ('label' in m) {
      const { at, text } = m.label;
      parts.push(`<text fill="#e62828" stroke="none" x="${p(at.x)}" y="${p(at.y)}">${esc(text)}</text>`);
    }
  }
  return (
    `<svg viewBox="0 0 100 100" preserveAspectRatio="none" data-testid="marks" data-count="${marks.length}" ` +
    `fill="none" stroke="#e62828" stroke-width="0.8" font-size="5">` +
    `<defs><marker id="head" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto">` +
    `<path d="M0,0 L6,3 L0,6" stroke="#e62828" /></marker></defs>` +
    parts.join('') +
    `</svg>`
  );
}

/** The unit's floor plan (its rooms) with the defect's room shaded and the pin. */
export function planSvg(item: Item, pick: (t: I18nText) => string): string {
  const rooms = item.plan
    .map(
      (r) =>
        `<rect x="${r.area.x * 100}" y="${r.area.y * 100}" width="${r.area.w * 100}" height="${r.area.h * 100}" ` +
        `fill="${r.here ? '#ffe0b2' : '#fff'}" stroke="#888" stroke-width="0.5" />` +
        `<text x="${(r.area.x + 0.02) * 100}" y="${(r.area.y + 0.08) * 100}" font-size="5" fill="#555">${esc(pick(r.name))}</text>`,
    )
    .join('');
  const pin = item.pin
    ? `<circle data-testid="pin" cx="${item.pin.x * 100}" cy="${item.pin.y * 100}" r="2.5" fill="#e62828" />`
    : '';
  return `<svg class="plan" data-testid="plan" viewBox="0 0 100 100" preserveAspectRatio="none">${rooms}${pin}</svg>`;
}
