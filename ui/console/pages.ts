// The console's pages. Each reads the project from the server, shows it,
// and sends changes as edits (POST /projects/{id}/edits): the server
// applies them to the project document, records who and when, and tablets
// receive them by sync.

import { ApiError } from '../shared/api.js';
import { checkbox, h, mount, setVal, val } from '../shared/dom.js';
import type { Ctx, Page, ProjectSummary } from '../shared/shell.js';
import { DEFAULT_ZONE, formatLocal } from '../shared/time.js';
import { dashboard } from './dashboard.js';
import { issued as issuedReports } from './issued.js';
import { company } from './company.js';
import { risks } from './risks.js';
import { dispatchPage } from './dispatch.js';
import { links } from './links.js';
import { outbox } from './outbox.js';
import { history } from './history.js';
import { currentOutlines, outlineEditor } from './outlines.js';
import {
  Category, ColumnMapping, Contractor, Item, Material, Project, ROOM_KINDS, RoundAssignment, RoundPlan, Text, UnitPreview,
  UNIT_COLUMNS, assignedUnits, listFromText, mappingQuery, nextRound, roomsFromText, rowLabel,
} from './model.js';
// Server JSON: types generated from the OpenAPI document.
import type { DeviceActor, InspectorProgress, PersonAccount, TemporaryPassword } from '../shared/api-types.js';

type Edit = Record<string, unknown> & { op: string };

const load = (ctx: Ctx) => ctx.api.get<Project>(`/projects/${encodeURIComponent(ctx.project!)}`);

/** Send edits; on success confirm and re-render, on refusal show the server's sentence in `errorEl`. */
async function save(ctx: Ctx, edits: Edit[], errorEl?: HTMLElement): Promise<boolean> {
  try {
    await ctx.api.post(`/projects/${encodeURIComponent(ctx.project!)}/edits`, { edits });
    ctx.notify(ctx.i18n.t('saved'));
    await ctx.refresh();
    return true;
  } catch (e) {
    showError(errorEl, e);
    return false;
  }
}

function showError(el: HTMLElement | undefined, e: unknown) {
  const message = e instanceof ApiError || e instanceof Error ? e.message : String(e);
  if (!el) throw e;
  el.hidden = false;
  el.textContent = message;
}

const errorBox = (testid = 'error') => h('p', { class: 'error', testid, hidden: true });
const field = (label: string, input: HTMLElement) => h('label', {}, label, input);
const input = (testid: string, value: string | number = '', attrs: Record<string, string> = {}) => h('input', { testid, value, ...attrs });
const textIn = (ctx: Ctx, prefix: string, value?: Text) => [
  field(ctx.i18n.t('name.zh'), input(`${prefix}-zh`, value?.zh ?? '')),
  field(ctx.i18n.t('name.en'), input(`${prefix}-en`, value?.en ?? '')),
];
const textOf = (root: ParentNode, prefix: string): Text => ({ zh: val(root, `${prefix}-zh`), en: val(root, `${prefix}-en`) });
const select = (testid: string, options: [string, string][], selected?: string | null) =>
  h('select', { testid }, options.map(([v, label]) => h('option', { value: v, selected: v === (selected ?? '') }, label)));

// ---- Projects -------------------------------------------------------------

/** A time-zone field: any IANA name, with the browser's list to choose from. */
const zoneInput = (testid: string, value: string) => {
  const list = `${testid}-zones`;
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [DEFAULT_ZONE];
  return h('span', {}, input(testid, value, { list, autocomplete: 'off' }), h('datalist', { id: list }, zones.map(z => h('option', { value: z }))));
};

/** The chosen project's name, handover date and time zone. */
async function projectSettings(ctx: Ctx): Promise<HTMLElement> {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const p = await load(ctx);
  const err = errorBox('settings-error');
  const form: HTMLFormElement = h('form', { class: 'panel', testid: 'project-settings', onsubmit: (e: Event) => {
    e.preventDefault();
    const edits: Edit[] = [{ op: 'set_info', name: textOf(form, 'settings-name'), handover_date: val(form, 'settings-handover') }];
    const zone = val(form, 'settings-zone').trim();
    if (zone !== p.time_zone) edits.push({ op: 'set_time_zone', time_zone: zone });
    // The project list carries the zone every page formats in: read it again.
    void save(ctx, edits, err).then(ok => ok ? ctx.setProject(ctx.project) : undefined);
  } },
    h('h2', {}, t('project.settings', { id: p.id })),
    h('div', { class: 'grid' }, ...textIn(ctx, 'settings-name', p.name),
      field(t('project.handover'), input('settings-handover', p.handover_date, { type: 'date' })),
      field(t('project.zone'), zoneInput('settings-zone', p.time_zone))),
    h('p', { class: 'muted' }, t('project.zoneHelp')),
    err, h('button', { class: 'primary', type: 'submit', testid: 'settings-save' }, t('save')));
  return form;
}

const projects: Page = {
  id: 'projects', label: 'nav.projects',
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const err = errorBox();
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'new-project', onsubmit: async (e: Event) => {
      e.preventDefault();
      const id = val(form, 'project-id');
      try {
        await ctx.api.post('/projects', {
          id, name: textOf(form, 'project-name'), handover_date: val(form, 'project-handover'),
          time_zone: val(form, 'project-zone').trim() || null, library: val(form, 'project-library') || null,
        });
        ctx.notify(t('project.created', { id }));
        await ctx.setProject(id);
        ctx.go('units');
      } catch (e) { showError(err, e); }
    } },
      h('h2', {}, t('project.new')),
      h('div', { class: 'grid' },
        field(t('project.id'), input('project-id', '', { placeholder: 'hj-xiyuan' })), ...textIn(ctx, 'project-name'),
        field(t('project.handover'), input('project-handover', '', { type: 'date' })),
        field(t('project.zone'), zoneInput('project-zone', DEFAULT_ZONE)),
        field(t('project.library'), select('project-library',
          [['', t('project.standardLibrary')], ...ctx.projects.map((p): [string, string] => [p.id, `${ctx.i18n.pick(p.name)} (${p.id})`])]))),
      err, h('button', { class: 'primary', type: 'submit', testid: 'project-create' }, t('project.create')));
    mount(el,
      h('h2', {}, t('nav.projects')),
      h('table', { testid: 'project-list' },
        h('tr', {}, [t('project.id'), t('project.name'), t('project.handover'), t('project.zone'), t('project.buildings'), t('project.units'), t('project.rounds'), ''].map(c => h('th', {}, c))),
        ctx.projects.map((p: ProjectSummary) => h('tr', { testid: `project-row-${p.id}` },
          h('td', {}, p.id), h('td', {}, ctx.i18n.pick(p.name)), h('td', {}, p.handover_date), h('td', { 'data-key': 'zone' }, p.time_zone),
          h('td', {}, p.buildings), h('td', {}, p.units), h('td', {}, p.rounds),
          h('td', {}, h('button', { onclick: () => void ctx.setProject(p.id) }, t('project.open')))))),
      ctx.project && !ctx.readOnly && ctx.projects.some(p => p.id === ctx.project) ? await projectSettings(ctx) : null,
      form);
  },
};

// ---- Units ------------------------------------------------------------------

const units: Page = {
  id: 'units', label: 'nav.units', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const err = errorBox();
    const out = h('div', { testid: 'units-preview' });
    const file = h('input', { type: 'file', testid: 'units-file', accept: '.csv,.xlsx' }) as HTMLInputElement;
    const mappingEl = h('div', { class: 'grid', testid: 'units-mapping' });
    const headerEl = h('div', { testid: 'units-header' });
    const newTypes = h('input', { type: 'checkbox', testid: 'units-new-types' }) as HTMLInputElement;
    let headers: string[] = [];
    // The header row the person chose; until then the server finds it.
    let headerRow: number | undefined;
    const mapping = (): Partial<ColumnMapping> => {
      const m: Partial<ColumnMapping> = { new_unit_types: newTypes.checked, header_row: headerRow };
      for (const k of UNIT_COLUMNS) {
        const v = val(mappingEl, `map-${k}`);
        if (v) m[k] = v;
      }
      return m;
    };
    const send = async (path: string) => {
      const f = file.files?.[0];
      if (!f) throw new Error(t('units.chooseFile'));
      return ctx.api.upload<unknown>('POST', `/projects/${encodeURIComponent(p.id)}${path}${mappingQuery(mapping())}`, await f.arrayBuffer());
    };
    const preview = async () => {
      err.hidden = true;
      try {
        const r = await send('/units/preview') as UnitPreview;
        mount(headerEl, r.first_rows.length ? field(t('units.headerRow'), h('select', {
          testid: 'units-header-row',
          onchange: (e: Event) => {
            headerRow = Number((e.target as HTMLSelectElement).value);
            // Other headers, other columns: the mapping is found again.
            headers = [];
            mount(mappingEl);
            void preview();
          },
        }, r.first_rows.map((cells, i) => h('option', { value: String(i + 1), selected: i + 1 === r.header_row },
          t('units.rowOption', { row: i + 1, cells: rowLabel(cells) || t('units.emptyRow') }))))) : null);
        if (!headers.length || r.headers.join() !== headers.join()) {
          headers = r.headers;
          const named = [...new Set(headers.filter(x => x.trim() !== ''))];
          mount(mappingEl, UNIT_COLUMNS.map(k => field(t(`units.col.${k}`),
            select(`map-${k}`, [['', t('units.col.none')], ...named.map((x): [string, string] => [x, x])], r.mapping[k] ?? ''))));
        }
        const importBtn = h('button', { class: 'primary', testid: 'units-import', disabled: r.errors.length > 0 || r.units.length === 0, onclick: async () => {
          try {
            const res = await send('/units') as { added: number };
            ctx.notify(t('units.imported', { n: res.added }));
            await ctx.setProject(p.id);
          } catch (e) { showError(err, e); }
        } }, t('units.import', { n: r.units.length }));
        mount(out,
          h('p', { testid: 'units-summary' }, t('units.summary', { units: r.units.length, buildings: r.new_buildings.join(', ') || '—', types: r.new_unit_types.join(', ') || '—' })),
          r.errors.length ? h('div', { class: 'error' }, h('strong', {}, t('units.errors', { n: r.errors.length })),
            h('ul', { testid: 'units-errors' }, r.errors.map(e => h('li', { testid: 'units-error' }, t('units.rowError', { row: e.row, reason: e.reason }))))) : null,
          h('table', { class: 'small' }, h('tr', {}, [t('units.unit'), t('units.col.building'), t('units.col.floor'), t('units.col.number'), t('units.col.unit_type')].map(c => h('th', {}, c))),
            r.units.slice(0, 50).map(u => h('tr', { testid: 'units-preview-row' }, [u.id, u.building, u.floor, u.number, u.unit_type].map(c => h('td', {}, c))))),
          r.units.length > 50 ? h('p', { class: 'muted' }, t('units.more', { n: r.units.length - 50 })) : null,
          importBtn);
      } catch (e) { showError(err, e); }
    };
    file.addEventListener('change', () => { headerRow = undefined; void preview(); });
    const byBuilding = p.buildings.map(b => `${ctx.i18n.pick(b.name)}: ${p.units.filter(u => u.building === b.id).length}`);
    mount(el,
      h('h2', {}, t('nav.units')),
      h('p', { testid: 'units-count' }, t('units.current', { units: p.units.length, buildings: p.buildings.length }), ' ', h('span', { class: 'muted' }, byBuilding.join(' · '))),
      h('section', { class: 'panel' },
        h('h3', {}, t('units.importTitle')), h('p', { class: 'muted' }, t('units.help')),
        h('label', {}, t('units.file'), file), headerEl, mappingEl, h('label', { class: 'inline' }, newTypes, t('units.newTypes')),
        h('div', { class: 'row' }, h('button', { testid: 'units-preview-button', onclick: () => void preview() }, t('units.preview'))),
        err, out));
  },
};

// ---- Unit types, floor plans, materials ---------------------------------------

const unitTypes: Page = {
  id: 'unit-types', label: 'nav.unitTypes', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const err = errorBox();
    const suppliers = p.contractors.map((c): [string, string] => [c.id, ctx.i18n.pick(c.name)]);
    const typeBlock = (ut: Project['unit_types'][number]) => {
      const planErr = errorBox(`floorplan-error-${ut.id}`);
      const plan = h('input', { type: 'file', accept: 'image/png,image/jpeg,application/pdf', testid: `floorplan-${ut.id}`, 'aria-label': t('ut.uploadPlan', { type: ctx.i18n.pick(ut.name) || ut.id }), onchange: async (e: Event) => {
        const f = (e.target as HTMLInputElement).files?.[0];
        if (!f) return;
        try {
          await ctx.api.upload('PUT', `/projects/${encodeURIComponent(p.id)}/unit-types/${encodeURIComponent(ut.id)}/floor-plan`, await f.arrayBuffer());
          ctx.notify(t('saved')); await ctx.refresh();
        } catch (x) { showError(planErr, x); }
      } });
      const matErr = errorBox();
      const matForm: HTMLFormElement = h('form', { class: 'row small', onsubmit: (e: Event) => {
        e.preventDefault();
        const material: Material = { element: val(matForm, 'mat-element'), name: textOf(matForm, 'mat-name'), spec: val(matForm, 'mat-spec'),
          supplier: val(matForm, 'mat-supplier'), supplier_installs: checkbox(matForm, 'mat-installs').checked };
        void save(ctx, [{ op: 'put_material', unit_type: ut.id, material }], matErr);
      } }, input('mat-element', '', { placeholder: t('mat.element') }), input('mat-name-zh', '', { placeholder: t('name.zh') }),
        input('mat-name-en', '', { placeholder: t('name.en') }), input('mat-spec', '', { placeholder: t('mat.spec') }),
        select('mat-supplier', suppliers), h('label', { class: 'inline' }, h('input', { type: 'checkbox', testid: 'mat-installs', checked: true }), t('mat.installs')),
        h('button', { type: 'submit' }, t('add')));
      return h('section', { class: 'panel', testid: `unit-type-${ut.id}` },
        h('h3', {}, `${ctx.i18n.pick(ut.name)} (${ut.id})`),
        h('p', {}, t('ut.template'), ': ', ut.template, ' · ', t('ut.rooms'), ': ', ut.rooms.map(r => ctx.i18n.pick(r.name)).join('、')),
        h('p', {}, t('ut.floorPlan'), ': ', ut.floor_plan
          ? h('a', { testid: `floorplan-link-${ut.id}`, href: '#', onclick: async (e: Event) => { e.preventDefault(); await openBlob(ctx, ut.floor_plan!); } }, ut.floor_plan.slice(0, 12))
          : h('span', { class: 'muted' }, t('ut.noFloorPlan')), ' ', plan, planErr),
        ut.floor_plan ? outlinesBlock(ut) : null,
        h('details', {}, h('summary', {}, t('ut.materials', { n: ut.materials.length })),
          h('table', { class: 'small' }, ut.materials.map(m => h('tr', {}, h('td', {}, m.element), h('td', {}, ctx.i18n.pick(m.name)), h('td', {}, m.spec),
            h('td', {}, ctx.i18n.pick(p.contractors.find(c => c.id === m.supplier)?.name)), h('td', {}, m.supplier_installs ? t('mat.installs') : t('mat.deliversOnly')),
            h('td', {}, h('button', { onclick: () => void save(ctx, [{ op: 'remove_material', unit_type: ut.id, element: m.element }], matErr) }, t('remove')))))),
          matForm, matErr));
    };
    // Room outlines on the uploaded plan image: a count, and the editor on demand.
    const outlinesBlock = (ut: Project['unit_types'][number]) => {
      const holder = h('div', { testid: `outlines-${ut.id}` });
      const drawn = Object.values(currentOutlines(ut)).filter((o) => o.length >= 3).length;
      const open = h('button', { type: 'button', testid: `outlines-open-${ut.id}`, onclick: () => {
        open.hidden = true;
        holder.append(outlineEditor(ctx, ut, (edit, e) => save(ctx, [edit], e), () => { void ctx.refresh(); }));
      } }, t('outline.open'));
      holder.append(h('p', {}, h('span', { class: 'muted', testid: `outlines-count-${ut.id}` }, t('outline.count', { drawn, rooms: ut.rooms.length })), ' ', open));
      return holder;
    };
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'new-unit-type', onsubmit: (e: Event) => {
      e.preventDefault();
      let rooms;
      try { rooms = roomsFromText(val(form, 'ut-rooms')); } catch (x) { return showError(err, new Error(t('ut.badRoom', { kind: (x as Error).message, kinds: ROOM_KINDS.join(', ') }))); }
      const area = parseFloat(val(form, 'ut-area'));
      void save(ctx, [{ op: 'put_unit_type', unit_type: { id: val(form, 'ut-id'), name: textOf(form, 'ut-name'), area_m2: isNaN(area) ? null : area,
        floor_plan: null, template: val(form, 'ut-template'), rooms, materials: [] } }], err);
    } }, h('h3', {}, t('ut.new')),
      h('div', { class: 'grid' }, field(t('ut.id'), input('ut-id')), ...textIn(ctx, 'ut-name'), field(t('ut.area'), input('ut-area', '', { type: 'number', step: '0.1' })),
        field(t('ut.template'), select('ut-template', p.templates.map((x): [string, string] => [x.id, `${ctx.i18n.pick(x.name)} (${x.id})`])))),
      field(t('ut.roomsHelp', { kinds: ROOM_KINDS.join(', ') }), input('ut-rooms', 'entrance, living, bedroom, bedroom, kitchen, bathroom, balcony')),
      err, h('button', { class: 'primary', type: 'submit', testid: 'ut-save' }, t('save')));
    mount(el, h('h2', {}, t('nav.unitTypes')), p.unit_types.map(typeBlock), form);
  },
};

async function openBlob(ctx: Ctx, hash: string) {
  const res = await fetch(`/api/v1/blobs/${hash}`, { headers: ctx.api.authHeaders() });
  window.open(URL.createObjectURL(await res.blob()), '_blank');
}

// ---- Standards (templates and checklist items) ---------------------------------

const standards: Page = {
  id: 'standards', label: 'nav.standards', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const chosen = sessionStorage.getItem('walkthrough.template');
    const tpl = p.templates.find(x => x.id === chosen) ?? p.templates[0];
    const err = errorBox();
    const editor = h('div', { testid: 'item-editor' });
    const categories = p.categories.map((c): [string, string] => [c.id, ctx.i18n.pick(c.name)]);
    const trades = p.trades.map((c): [string, string] => [c.id, ctx.i18n.pick(c.name)]);
    const edit = (item: Item | null) => {
      const ferr = errorBox('item-error');
      const form: HTMLFormElement = h('form', { class: 'panel', testid: 'item-form', onsubmit: (e: Event) => {
        e.preventDefault();
        const next: Item = { code: val(form, 'item-code'), room_kind: val(form, 'item-room') as Item['room_kind'], element: val(form, 'item-element'),
          title: textOf(form, 'item-title'), standard: textOf(form, 'item-standard'), method: textOf(form, 'item-method'),
          default_category: val(form, 'item-category'), default_trade: val(form, 'item-trade'), retired: item?.retired ?? false };
        void save(ctx, [{ op: 'put_item', template: tpl.id, item: next }], ferr);
      } },
        h('h3', {}, item ? t('item.edit', { code: item.code }) : t('item.new')),
        h('div', { class: 'grid' },
          field(t('item.code'), input('item-code', item?.code ?? '', item ? { readonly: 'readonly' } : {})),
          field(t('item.room'), select('item-room', ROOM_KINDS.map((k): [string, string] => [k, t(`room.${k}`)]), item?.room_kind)),
          field(t('item.element'), input('item-element', item?.element ?? '')),
          field(t('item.category'), select('item-category', categories, item?.default_category)),
          field(t('item.trade'), select('item-trade', trades, item?.default_trade))),
        h('div', { class: 'grid' },
          field(t('item.title.zh'), input('item-title-zh', item?.title.zh ?? '')), field(t('item.title.en'), input('item-title-en', item?.title.en ?? '')),
          field(t('item.standard.zh'), h('textarea', { testid: 'item-standard-zh' }, item?.standard.zh ?? '')),
          field(t('item.standard.en'), h('textarea', { testid: 'item-standard-en' }, item?.standard.en ?? '')),
          field(t('item.method.zh'), h('textarea', { testid: 'item-method-zh' }, item?.method.zh ?? '')),
          field(t('item.method.en'), h('textarea', { testid: 'item-method-en' }, item?.method.en ?? ''))),
        ferr, h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit', testid: 'item-save' }, t('save')),
          h('button', { type: 'button', onclick: () => mount(editor) }, t('cancel'))));
      mount(editor, form);
      form.scrollIntoView();
    };
    const rows = tpl ? tpl.items.map((item, i) => h('tr', { testid: `item-${item.code}`, class: item.retired ? 'retired' : '' },
      h('td', {}, item.code), h('td', {}, t(`room.${item.room_kind}`)), h('td', {}, ctx.i18n.pick(item.title)),
      h('td', { class: 'small' }, ctx.i18n.pick(item.standard)), h('td', { class: 'small' }, ctx.i18n.pick(item.method)),
      h('td', {}, ctx.i18n.pick(p.categories.find(c => c.id === item.default_category)?.name)),
      h('td', {}, ctx.i18n.pick(p.trades.find(c => c.id === item.default_trade)?.name)),
      h('td', { class: 'row small' },
        h('button', { title: t('item.up'), 'aria-label': `${t('item.up')}: ${item.code}`, disabled: i === 0, testid: `item-up-${item.code}`, onclick: () => void save(ctx, [{ op: 'move_item', template: tpl.id, code: item.code, to: i - 1 }], err) }, '↑'),
        h('button', { title: t('item.down'), 'aria-label': `${t('item.down')}: ${item.code}`, disabled: i === tpl.items.length - 1, testid: `item-down-${item.code}`, onclick: () => void save(ctx, [{ op: 'move_item', template: tpl.id, code: item.code, to: i + 1 }], err) }, '↓'),
        h('button', { testid: `item-edit-${item.code}`, onclick: () => edit(item) }, t('edit')),
        h('button', { testid: `item-retire-${item.code}`, onclick: () => void save(ctx, [{ op: 'retire_item', template: tpl.id, code: item.code, retired: !item.retired }], err) },
          item.retired ? t('item.restore') : t('item.retire'))))) : [];
    const copyForm: HTMLFormElement = h('form', { class: 'row small', onsubmit: (e: Event) => {
      e.preventDefault();
      const id = val(copyForm, 'copy-id');
      void save(ctx, [{ op: 'copy_template', from: tpl.id, id, name: textOf(copyForm, 'copy-name') }], err).then(ok => { if (ok) sessionStorage.setItem('walkthrough.template', id); });
    } }, input('copy-id', '', { placeholder: t('tpl.newId') }), input('copy-name-zh', '', { placeholder: t('name.zh') }), input('copy-name-en', '', { placeholder: t('name.en') }),
      h('button', { type: 'submit', testid: 'copy-template' }, t('tpl.copy')));
    mount(el,
      h('h2', {}, t('nav.standards')),
      h('div', { class: 'row' }, field(t('tpl.template'), h('select', { testid: 'template-picker', onchange: (e: Event) => { sessionStorage.setItem('walkthrough.template', (e.target as HTMLSelectElement).value); void ctx.refresh(); } },
        p.templates.map(x => h('option', { value: x.id, selected: x.id === tpl?.id }, `${ctx.i18n.pick(x.name)} (${x.id}, ${x.items.length})`)))),
        h('p', { class: 'muted grow' }, t('tpl.usedBy', { types: p.unit_types.filter(u => u.template === tpl?.id).map(u => u.id).join(', ') || '—' }))),
      copyForm, err,
      h('div', { class: 'row' }, h('button', { testid: 'item-add', onclick: () => edit(null) }, t('item.new'))),
      editor,
      h('table', { testid: 'items' }, h('tr', {}, [t('item.code'), t('item.room'), t('item.title'), t('item.standard'), t('item.method'), t('item.category'), t('item.trade'), ''].map(c => h('th', {}, c))), rows));
  },
};

// ---- Categories and trades ---------------------------------------------------

const categories: Page = {
  id: 'categories', label: 'nav.categories', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const err = errorBox();
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'category-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const checked = (id: string) => checkbox(form, id).checked;
      const category: Category = { id: val(form, 'cat-id'), name: textOf(form, 'cat-name'), severity: val(form, 'cat-severity') as Category['severity'],
        deadline_hours: parseInt(val(form, 'cat-hours'), 10) || 0, hard_kind: (val(form, 'cat-hard') || null) as Category['hard_kind'],
        deadline_end_of_day: checked('cat-day-end'), is_other: checked('cat-other'), urgent: checked('cat-urgent') };
      void save(ctx, [{ op: 'put_category', category }], err);
    } }, h('h3', {}, t('cat.edit')),
      h('div', { class: 'grid' }, field(t('cat.id'), input('cat-id')), ...textIn(ctx, 'cat-name'),
        field(t('cat.severity'), select('cat-severity', [['minor', t('sev.minor')], ['major', t('sev.major')], ['critical', t('sev.critical')]])),
        field(t('cat.hours'), input('cat-hours', 72, { type: 'number', min: '1' })),
        field(t('cat.hard'), select('cat-hard', [['', t('cat.hard.none')], ['sales_promise', t('hard.sales_promise')], ['leakage', t('hard.leakage')], ['design_defect', t('hard.design_defect')]]))),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', testid: 'cat-day-end' }), t('cat.dayEnd')), ' ',
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', testid: 'cat-other' }), t('cat.other')), ' ',
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', testid: 'cat-urgent' }), t('cat.urgent')),
      err, h('div', {}, h('button', { class: 'primary', type: 'submit', testid: 'cat-save' }, t('save'))));
    const fill = (c: Category) => {
      const set = (id: string, v: string) => setVal(form, id, v);
      set('cat-id', c.id); set('cat-name-zh', c.name.zh); set('cat-name-en', c.name.en); set('cat-severity', c.severity);
      set('cat-hours', String(c.deadline_hours)); set('cat-hard', c.hard_kind ?? '');
      checkbox(form, 'cat-day-end').checked = c.deadline_end_of_day;
      checkbox(form, 'cat-other').checked = c.is_other;
      checkbox(form, 'cat-urgent').checked = c.urgent;
      form.scrollIntoView();
    };
    const terr = errorBox();
    const tradeForm: HTMLFormElement = h('form', { class: 'row small', onsubmit: (e: Event) => {
      e.preventDefault();
      void save(ctx, [{ op: 'put_trade', trade: { id: val(tradeForm, 'trade-id'), name: textOf(tradeForm, 'trade-name') } }], terr);
    } }, input('trade-id', '', { placeholder: t('trade.id') }), input('trade-name-zh', '', { placeholder: t('name.zh') }), input('trade-name-en', '', { placeholder: t('name.en') }),
      h('button', { type: 'submit' }, t('save')));
    mount(el, h('h2', {}, t('nav.categories')), h('p', { class: 'muted' }, t('cat.help')),
      h('table', { testid: 'categories' }, h('tr', {}, [t('cat.id'), t('project.name'), t('cat.severity'), t('cat.hours'), t('cat.hard'), ''].map(c => h('th', {}, c))),
        p.categories.map(c => h('tr', { testid: `category-${c.id}` }, h('td', {}, c.id), h('td', {}, ctx.i18n.pick(c.name), c.is_other ? ` · ${t('cat.other')}` : '', c.urgent ? ` · ${t('cat.urgent')}` : ''),
          h('td', {}, t(`sev.${c.severity}`)), h('td', {}, c.deadline_hours, c.deadline_end_of_day ? ` · ${t('cat.dayEndShort')}` : ''), h('td', {}, c.hard_kind ? t(`hard.${c.hard_kind}`) : ''),
          h('td', {}, h('button', { onclick: () => fill(c) }, t('edit')))))),
      form,
      h('h2', {}, t('trades')), h('p', {}, p.trades.map(x => `${ctx.i18n.pick(x.name)} (${x.id})`).join('、')), tradeForm, terr);
  },
};

// ---- Contractors, suppliers and trade assignments ----------------------------------

const contractors: Page = {
  id: 'contractors', label: 'nav.contractors', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const err = errorBox();
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'contractor-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const contractor: Contractor = { id: val(form, 'con-id'), name: textOf(form, 'con-name'), kind: val(form, 'con-kind') as Contractor['kind'],
        trades: listFromText(val(form, 'con-trades')), contact: { name: val(form, 'con-contact'), phone: val(form, 'con-phone'), email: val(form, 'con-email') } };
      void save(ctx, [{ op: 'put_contractor', contractor }], err);
    } }, h('h3', {}, t('con.edit')),
      h('div', { class: 'grid' }, field(t('con.id'), input('con-id')), ...textIn(ctx, 'con-name'),
        field(t('con.kind'), select('con-kind', [['contractor', t('con.contractor')], ['supplier', t('con.supplier')]])),
        field(t('con.trades', { ids: p.trades.map(x => x.id).join(', ') }), input('con-trades')),
        field(t('con.contact'), input('con-contact')), field(t('con.phone'), input('con-phone')), field(t('con.email'), input('con-email', '', { type: 'email' }))),
      err, h('button', { class: 'primary', type: 'submit', testid: 'con-save' }, t('save')));
    const fill = (c: Contractor) => {
      const set = (id: string, v: string) => setVal(form, id, v);
      set('con-id', c.id); set('con-name-zh', c.name.zh); set('con-name-en', c.name.en); set('con-kind', c.kind); set('con-trades', c.trades.join(', '));
      set('con-contact', c.contact.name); set('con-phone', c.contact.phone); set('con-email', c.contact.email);
      form.scrollIntoView();
    };
    const aerr = errorBox();
    const assign: HTMLFormElement = h('form', { class: 'row small', testid: 'assign-form', onsubmit: (e: Event) => {
      e.preventDefault();
      void save(ctx, [{ op: 'assign_trade', assignment: { trade: val(assign, 'as-trade'), building: val(assign, 'as-building') || null, contractor: val(assign, 'as-contractor') } }], aerr);
    } }, h('label', { class: 'inline' }, t('as.trade'), select('as-trade', p.trades.map((x): [string, string] => [x.id, ctx.i18n.pick(x.name)]))),
      h('label', { class: 'inline' }, t('as.building'), select('as-building', [['', t('as.project')], ...p.buildings.map((b): [string, string] => [b.id, ctx.i18n.pick(b.name)])])),
      h('label', { class: 'inline' }, t('as.contractor'), select('as-contractor', p.contractors.map((c): [string, string] => [c.id, ctx.i18n.pick(c.name)]))),
      h('button', { type: 'submit', testid: 'as-save' }, t('as.assign')));
    const name = (list: { id: string; name: Text }[], id: string | null) => id ? ctx.i18n.pick(list.find(x => x.id === id)?.name) || id : t('as.project');
    mount(el, h('h2', {}, t('nav.contractors')),
      h('table', { testid: 'contractors' }, h('tr', {}, [t('con.id'), t('project.name'), t('con.kind'), t('con.tradesShort'), t('con.contact'), ''].map(c => h('th', {}, c))),
        p.contractors.map(c => h('tr', { testid: `contractor-${c.id}` }, h('td', {}, c.id), h('td', {}, ctx.i18n.pick(c.name)), h('td', {}, t(`con.${c.kind}`)),
          h('td', {}, c.trades.map(x => name(p.trades, x)).join('、')), h('td', { class: 'small' }, [c.contact.name, c.contact.phone, c.contact.email].filter(Boolean).join(' · ')),
          h('td', {}, h('button', { onclick: () => fill(c) }, t('edit')))))),
      form,
      h('h2', {}, t('as.title')), h('p', { class: 'muted' }, t('as.help')),
      h('table', { testid: 'assignments' }, p.trade_assignments.map(a => h('tr', {}, h('td', {}, name(p.trades, a.trade)), h('td', {}, name(p.buildings, a.building)),
        h('td', {}, name(p.contractors, a.contractor)),
        h('td', {}, h('button', { onclick: () => void save(ctx, [{ op: 'unassign_trade', trade: a.trade, building: a.building }], aerr) }, t('remove')))))),
      assign, aerr);
  },
};

// ---- People ------------------------------------------------------------------

type Account = PersonAccount;
/** A device of the project (GET /projects/{p}/devices): its actor, the user it writes for, "name · short id". */
type Device = DeviceActor;

/** The password just issued, shown once on the re-rendered page. */
let issued: { who: string; password: string } | null = null;

const people: Page = {
  id: 'people', label: 'nav.people', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const base = `/projects/${encodeURIComponent(ctx.project!)}/people`;
    const list = await ctx.api.get<Account[]>(base);
    const err = errorBox();
    const shown = h('div', { testid: 'password-shown' }, issued && (issued.password
      ? h('p', { class: 'notice' }, t('people.password', { who: issued.who }), ' ', h('code', { testid: 'temp-password' }, issued.password), ' ', t('people.passwordOnce'))
      : h('p', { class: 'notice' }, t('people.scopeAdded', { who: issued.who }))));
    issued = null;
    const act = async (a: Account, action: string) => {
      try {
        const r = await ctx.api.post<{ password?: string }>(`${base}/${encodeURIComponent(a.id)}/${action}`);
        if (action === 'reset' && r.password) issued = { who: a.username, password: r.password };
        ctx.notify(t('saved'));
        await ctx.refresh();
      } catch (e) { showError(err, e); }
    };
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'invite-form', onsubmit: async (e: Event) => {
      e.preventDefault();
      try {
        const r = await ctx.api.post<TemporaryPassword>(base, { username: val(form, 'inv-username'), name: val(form, 'inv-name'), role: val(form, 'inv-role'), org: val(form, 'inv-org') });
        issued = { who: r.user.username, password: r.password };
        await ctx.refresh();
      } catch (x) { showError(err, x); }
    } }, h('h3', {}, t('people.invite')),
      h('div', { class: 'grid' }, field(t('shell.username'), input('inv-username')), field(t('people.name'), input('inv-name')),
        field(t('people.role'), select('inv-role', [['inspector', t('role.inspector')], ['cs_admin', t('role.cs_admin')], ['engineer', t('role.engineer')]])),
        field(t('people.org'), input('inv-org'))),
      err, h('button', { class: 'primary', type: 'submit', testid: 'invite' }, t('people.invite')));
    const devices = await ctx.api.get<Device[]>(`/projects/${encodeURIComponent(ctx.project!)}/devices`);
    const when = (ms: number) => formatLocal(ms, ctx.zone);
    const userName = (id: string) => list.find(a => a.id === id)?.name ?? id;
    const deviceList = [h('h3', {}, t('devices.title')), h('p', { class: 'muted' }, t('devices.help')),
      devices.length === 0 ? h('p', { class: 'muted', testid: 'devices-none' }, t('devices.none'))
        : h('table', { testid: 'devices' },
          h('tr', {}, [t('devices.device'), t('devices.user'), t('devices.first'), t('devices.last'), t('devices.changes')].map(c => h('th', {}, c))),
          devices.map(d => h('tr', { testid: 'device-row', 'data-actor': d.actor },
            h('td', { testid: 'device-label' }, d.server ? t('devices.server') : d.label), h('td', { testid: 'device-user' }, userName(d.user)),
            h('td', {}, when(d.first_seen_ms)), h('td', {}, when(d.last_seen_ms)), h('td', { class: 'num' }, String(d.changes)))))];
    mount(el, h('h2', {}, t('nav.people')), shown,
      h('table', { testid: 'people' }, h('tr', {}, [t('shell.username'), t('people.name'), t('people.role'), t('people.org'), t('people.status'), ''].map(c => h('th', {}, c))),
        list.map(a => h('tr', { testid: `person-${a.username}` }, h('td', {}, a.username), h('td', {}, a.name), h('td', {}, t(`role.${a.role}`)), h('td', {}, a.org),
          h('td', { testid: `status-${a.username}` }, a.disabled ? t('people.disabled') : t('people.active')),
          h('td', { class: 'row small' }, h('button', { testid: `reset-${a.username}`, onclick: () => void act(a, 'reset') }, t('people.reset')),
            a.disabled ? h('button', { testid: `enable-${a.username}`, onclick: () => void act(a, 'enable') }, t('people.enable'))
              : h('button', { testid: `disable-${a.username}`, onclick: () => { if (confirm(t('people.confirmDisable', { who: a.username }))) void act(a, 'disable'); } }, t('people.disable')))))),
      form, deviceList);
  },
};

// ---- Round plans ----------------------------------------------------------------

const rounds: Page = {
  id: 'rounds', label: 'nav.rounds', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const p = await load(ctx);
    const err = errorBox();
    const inspectors = p.people.filter(x => x.role === 'inspector' || x.role === 'cs_admin');
    const chosen = Number(sessionStorage.getItem('walkthrough.round')) || nextRound(p.rounds);
    const existing = p.rounds.find(r => r.no === chosen);
    const progress = existing
      ? await ctx.api.get<InspectorProgress[]>(`/projects/${encodeURIComponent(p.id)}/rounds/${chosen}/progress`)
      : [];
    const rows = inspectors.map(person => {
      const a = existing?.assignments.find(x => x.inspector === person.id);
      const pr = progress.find(x => x.inspector === person.id);
      return h('tr', { testid: `plan-${person.id}` }, h('td', {}, `${person.name} (${person.id})`),
        h('td', {}, p.buildings.map(b => h('label', { class: 'inline' }, h('input', { type: 'checkbox', 'data-building': b.id, testid: `plan-${person.id}-${b.id}`, checked: a?.buildings.includes(b.id) }), b.id, ' '))),
        h('td', {}, input(`plan-${person.id}-units`, a?.units.join(', ') ?? '', { placeholder: t('round.unitsHelp') })),
        h('td', { class: 'muted small', testid: `progress-${person.id}` }, a ? t('round.covers', { n: assignedUnits(p, a).length }) : '',
          pr ? ` · ${t('round.progress', { done: pr.done, started: pr.started, assigned: pr.assigned })}` : ''));
    });
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'round-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const assignments: RoundAssignment[] = [];
      for (const person of inspectors) {
        const buildings = [...form.querySelectorAll(`[data-testid^="plan-${person.id}-"][data-building]`)]
          .filter(x => (x as HTMLInputElement).checked).map(x => (x as HTMLInputElement).dataset.building!);
        const unitsList = listFromText(val(form, `plan-${person.id}-units`));
        if (buildings.length || unitsList.length) assignments.push({ inspector: person.id, buildings, units: unitsList });
      }
      const round: RoundPlan = { no: chosen, start: val(form, 'round-start'), due: val(form, 'round-due'), notes: val(form, 'round-notes'), assignments };
      void save(ctx, [{ op: 'put_round', round }], err);
    } },
      h('h3', {}, t('round.plan', { n: chosen })),
      h('div', { class: 'grid' }, field(t('round.start'), input('round-start', existing?.start ?? '', { type: 'date' })),
        field(t('round.due'), input('round-due', existing?.due ?? '', { type: 'date' }))),
      field(t('round.notes'), h('textarea', { testid: 'round-notes' }, existing?.notes ?? '')),
      h('table', {}, h('tr', {}, [t('round.inspector'), t('round.buildings'), t('round.units'), t('round.progressHead')].map(c => h('th', {}, c))), rows),
      err, h('button', { class: 'primary', type: 'submit', testid: 'round-save' }, t('save')));
    const uncovered = (r: RoundPlan) => p.units.length - new Set(r.assignments.flatMap(a => assignedUnits(p, a))).size;
    mount(el, h('h2', {}, t('nav.rounds')), h('p', { class: 'muted' }, t('round.handover', { date: p.handover_date })),
      h('div', { class: 'row' }, [...p.rounds.map(r => r.no), nextRound(p.rounds)].map(n =>
        h('button', { class: n === chosen ? 'primary' : '', testid: `round-tab-${n}`, onclick: () => { sessionStorage.setItem('walkthrough.round', String(n)); void ctx.refresh(); } },
          p.rounds.some(r => r.no === n) ? t('round.n', { n }) : t('round.add', { n })))),
      h('table', { testid: 'rounds' }, p.rounds.map(r => h('tr', {}, h('td', {}, t('round.n', { n: r.no })), h('td', {}, `${r.start} – ${r.due}`),
        h('td', {}, t('round.inspectors', { n: r.assignments.length })), h('td', { class: uncovered(r) ? 'error' : '' }, t('round.uncovered', { n: uncovered(r) }))))),
      inspectors.length ? form : h('p', { class: 'notice' }, t('round.noInspectors')));
  },
};

export const PAGES: Page[] = [
  projects, company, dashboard, dispatchPage, issuedReports, risks, links, outbox, units, unitTypes, standards, categories, contractors, people, rounds, history,
];
