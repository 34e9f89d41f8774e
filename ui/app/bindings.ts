// Generated from client/src/app (cargo test -p walkthrough-client --test bindings).
// Do not edit: change the Rust types, then run with WALKTHROUGH_UPDATE_BINDINGS=1.

import { call } from './ipc.js';

export type AppError = { 
/**
 * offline, certificate, auth, password (a temporary password must be
 * changed first), photo, invalid, not_signed_in, internal.
 */
kind: string, message: string, };

export type Text = { zh: string, en: string, };

export type Session = { server: string, user_id: string, name: string, role: string, projects: Array<ProjectSummary>, 
/**
 * Signed in with a temporary password: nothing works until it is
 * changed (`change_password`); the app shows only that form.
 */
must_change_password: boolean, };

export type ProjectSummary = { id: string, name: Text, 
/**
 * ISO date.
 */
handover_date: string, 
/**
 * The project's IANA time zone: the tablet shows times and days in it.
 */
time_zone: string, rounds: Array<RoundSummary>, 
/**
 * The round whose dates include today, else the latest started one.
 */
current_round: number | null, };

export type RoundSummary = { no: number, start: string, due: string, 
/**
 * How many units the plan gives the signed-in inspector.
 */
my_units: number, };

export type SyncState = { 
/**
 * Documents changed on this tablet that the server has not confirmed.
 */
pending_changes: number, 
/**
 * Photos not uploaded yet.
 */
pending_photos: number, last_sync_ms: number | null, 
/**
 * Why the last attempt failed, in words (none after a success).
 */
last_error: string | null, 
/**
 * Whether the last attempt reached the server.
 */
online: boolean, running: boolean, 
/**
 * What this tablet holds for working offline.
 */
offline: OfflineView, };

export type OfflineView = { 
/**
 * Files wanted (previews of open defects' photos, floor plans) and held.
 */
wanted: number, held: number, 
/**
 * Not held because the budget is used up.
 */
over_budget: number, 
/**
 * Not on the server yet (a photo whose tablet has not uploaded it).
 */
missing: number, bytes: number, budget_bytes: number, 
/**
 * Downloading now.
 */
running: boolean, };

export type TrustView = { 
/**
 * The company certificate chosen on this tablet, if any.
 */
company_ca: CompanyCaView | null, 
/**
 * The CA file `WALKTHROUGH_CA_FILE` names (a managed install): while
 * it is set, it is trusted instead of the chosen certificate.
 */
ca_file_override: string | null, };

export type CompanyCaView = { 
/**
 * The name of the file it was chosen from.
 */
file_name: string, 
/**
 * Certificates in the file (a bundle may hold several).
 */
certificates: number, 
/**
 * SHA-256 of the first certificate ("AB:CD:…"), to compare with what
 * the company's IT gives out.
 */
fingerprint: string, added_ms: number, };

export type AppStatus = { session: Session | null, sync: SyncState, trust: TrustView, };

export type SyncProgress = { 
/**
 * "documents", "photos" (uploads) or "offline" (photos and floor plans
 * downloaded for offline work, after the documents).
 */
phase: string, done: number, total: number, 
/**
 * Bytes moved so far (for "offline": held on this tablet).
 */
bytes: number, };

export type UnitGrid = { project: string, round: number, buildings: Array<BuildingGrid>, counts: StatusCounts, };

export type BuildingGrid = { id: string, name: Text, floors: Array<FloorRow>, };

export type FloorRow = { floor: number, units: Array<UnitCell>, };

export type UnitCell = { id: string, number: string, 
/**
 * not_started, in_progress, done, done_with_open_defects.
 */
status: string, open_defects: number, 
/**
 * In the signed-in inspector's assignment for this round.
 */
assigned: boolean, };

export type StatusCounts = { not_started: number, in_progress: number, done: number, done_with_open_defects: number, open_defects: number, };

export type UnitView = { project: string, unit: string, number: string, building: Text, floor: number, unit_type: Text, round: number, status: string, 
/**
 * The unit type's floor-plan image (a photo hash: read it with `photo`),
 * drawn under the rooms' outlines and the pins; none: drawn from the
 * outlines alone.
 */
floor_plan: string | null, rooms: Array<RoomView>, 
/**
 * Every defect of the unit, newest first.
 */
defects: Array<DefectView>, 
/**
 * Earlier defects this round must recheck.
 */
recheck: Array<RecheckItem>, choices: Choices, };

export type RoomView = { id: string, kind: string, name: Text, 
/**
 * The room's outline on the unit's floor plan: a polygon in normalised
 * image coordinates (empty: not outlined).
 */
outline: Array<Pin>, items: Array<ItemView>, };

export type ItemView = { code: string, title: Text, standard: Text, method: Text, 
/**
 * pass, fail, not_applicable, or none when not recorded this round.
 */
outcome: string | null, by: string | null, 
/**
 * Defects recorded against this item in this round.
 */
defects: Array<string>, };

export type RecheckItem = { defect: string, found_round: number, status: string, 
/**
 * This round's recheck: passed (true) or failed again (false).
 */
done: boolean | null, 
/**
 * The contractor's report that the current repair is done, if any.
 */
fix_report: FixReport | null, };

export type FixReport = { at_ms: number, by_name: string, note: string, photo: string | null, 
/**
 * Why the photo cannot be shown here, as for `PhotoView::missing`.
 */
photo_missing: string | null, };

export type RiskView = { unified_answer: Text, contingency_plan: string, accepted_by_name: string, accepted_at_ms: number, 
/**
 * The latest edit of the answer or plan (the acceptance when never edited).
 */
edited_at_ms: number, };

export type PhotoData = { url: string | null, 
/**
 * The size shown: the one asked for, or the preview when the original
 * cannot be fetched now.
 */
shown: string | null, 
/**
 * downloading, over_budget, not_on_server or offline.
 */
missing: string | null, };

export type Choices = { categories: Array<Choice>, trades: Array<Choice>, contractors: Array<Choice>, };

export type Choice = { id: string, name: Text, 
/**
 * For categories: whether a reason is required ("other").
 */
needs_reason: boolean, 
/**
 * For categories: their default severity.
 */
severity: string | null, };

export type DefectView = { id: string, room: string, room_name: Text, item: string | null, item_title: Text | null, spot: string, description: string, category: string, category_name: Text, other_reason: string | null, root_cause: string | null, root_cause_note: string | null, severity: string, trade: string, trade_name: Text, responsible: string | null, responsible_name: Text | null, found_round: number, found_by: string, found_at_ms: number, status: string, deadline_ms: number | null, pin: Pin | null, photos: Array<PhotoView>, history: Array<HistoryEntry>, 
/**
 * The accepted risk's answer and plan (status accepted_risk only).
 */
risk: RiskView | null, };

export type Pin = { x: number, y: number, };

export type PhotoView = { hash: string, marks: Array<MarkView>, 
/**
 * Whether the picture itself is on this tablet (else it downloads on sync).
 */
available: boolean, 
/**
 * Why not: downloading, over_budget, not_on_server or offline.
 */
missing?: string, };

export type MarkView = { id: string, shape: ShapeView, };

export type ShapeView = { "kind": "circle", x: number, y: number, r: number, } | { "kind": "arrow", x1: number, y1: number, x2: number, y2: number, } | { "kind": "label", x: number, y: number, text: string, };

export type HistoryEntry = { 
/**
 * When it happened by the server's clock: the order events are in.
 */
at_ms: number, 
/**
 * What the writer's device clock said, when it was off (shown beside).
 */
device_at_ms: number | null, by: string, by_name: string, round: number, 
/**
 * found, assigned, reported_fixed, fix_retracted, rechecked, accepted_risk, withdrawn, edited.
 */
kind: string, 
/**
 * For rechecks: passed or failed.
 */
passed: boolean | null, 
/**
 * The note, field change, contractor or unified answer, as recorded.
 */
detail: string, photo: string | null, 
/**
 * The other device that wrote it ("li-tablet · 3fa2c1"); None when
 * this tablet wrote it, the server did, or it is not known.
 */
device: string | null, 
/**
 * Written by the server (the CS center's console, a contractor's link).
 */
by_server: boolean, };

export type DefectForm = { 
/**
 * None for a new defect.
 */
id: string | null, room: string, item: string | null, spot: string, description: string, category: string, other_reason: string | null, severity: string, trade: string, responsible: string | null, root_cause: string | null, root_cause_note: string | null, pin: Pin | null, 
/**
 * The photos with their marks, as they will be saved.
 */
photos: Array<PhotoView>, };

/**
 * Who is signed in, the projects, and the state of sync.
 */
export function status(): Promise<AppStatus> {
  return call('status', {  });
}

/**
 * Sign in against a server (once; the tablet then works offline) and sync.
 */
export function signIn(server: string, username: string, password: string): Promise<AppStatus> {
  return call('sign_in', { server, username, password });
}

/**
 * Forget the sign-in. Refused while work is not synced.
 */
export function signOut(): Promise<AppStatus> {
  return call('sign_out', {  });
}

/**
 * Change the password (a temporary one must be changed at the first
 * sign-in), then sync.
 */
export function changePassword(old_password: string, new_password: string): Promise<AppStatus> {
  return call('change_password', { old_password, new_password });
}

/**
 * The units of a project in a round, by building and floor.
 */
export function unitGrid(project: string, round: number): Promise<UnitGrid> {
  return call('unit_grid', { project, round });
}

/**
 * One unit in one round: rooms, checklist, defects, recheck queue.
 */
export function openUnit(project: string, unit: string, round: number): Promise<UnitView> {
  return call('open_unit', { project, unit, round });
}

/**
 * Pass, fail or not applicable for one checklist line (none clears it).
 */
export function setResult(project: string, unit: string, round: number, room: string, item: string, outcome: string | null): Promise<UnitView> {
  return call('set_result', { project, unit, round, room, item, outcome });
}

/**
 * A new defect for a checklist line, prefilled from the item and routing.
 */
export function draftDefect(project: string, unit: string, round: number, room: string, item: string | null): Promise<DefectForm> {
  return call('draft_defect', { project, unit, round, room, item });
}

/**
 * Record a new defect or save changes to one. Returns its id.
 */
export function saveDefect(project: string, unit: string, round: number, form: DefectForm): Promise<string> {
  return call('save_defect', { project, unit, round, form });
}

/**
 * Take a photo (JPEG or PNG, base64): stored, thumbnailed and queued for
 * upload at once. Returns its hash, for a defect form or a recheck.
 */
export function takePhoto(data: string): Promise<string> {
  return call('take_photo', { data });
}

/**
 * A photo (or a floor-plan image) as a data URL: "thumb", "preview" or
 * "original", or why it is not on this tablet. An original not here is
 * fetched when the server can be reached; the preview is shown meanwhile.
 */
export function photo(hash: string, variant: string): Promise<PhotoData> {
  return call('photo', { hash, variant });
}

/**
 * Recheck an earlier defect: passed, or failed again with a note (and a photo).
 * `photo` is the hash of a photo taken with `take_photo`.
 */
export function recheck(project: string, unit: string, round: number, defect: string, passed: boolean, note: string, photo: string | null): Promise<UnitView> {
  return call('recheck', { project, unit, round, defect, passed, note, photo });
}

/**
 * Withdraw a defect recorded in error, with the reason: it leaves every
 * list and count and stays in the history.
 */
export function withdrawDefect(project: string, unit: string, round: number, defect: string, reason: string): Promise<UnitView> {
  return call('withdraw_defect', { project, unit, round, defect, reason });
}

/**
 * Trust a company's own certificate authority (its certificate, PEM, as
 * text or a data URL) for every sync from now on, kept in the store.
 * Refused in words, and nothing kept, when it is not one.
 */
export function setCompanyCa(file_name: string, data: string): Promise<AppStatus> {
  return call('set_company_ca', { file_name, data });
}

/**
 * Trust the system's certificate authorities only again.
 */
export function clearCompanyCa(): Promise<AppStatus> {
  return call('clear_company_ca', {  });
}

/**
 * Sync now: documents both ways, then photos up, then the photos and
 * floor plans for offline work down. While a sync runs, another
 * returns the status at once.
 */
export function syncNow(): Promise<AppStatus> {
  return call('sync_now', {  });
}

