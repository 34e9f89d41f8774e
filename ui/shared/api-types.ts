// The HTTP API's JSON types, generated from the server's OpenAPI document
// (GET /api/v1/openapi.json, made from the handlers' Rust types).
// Do not edit: change the Rust types, then run the server's `openapi` test
// with WALKTHROUGH_UPDATE_BINDINGS=1.

/**
 * `POST /projects/{p}/defects/{id}/accept-risk`: accept the risk, or edit
 * the answer and plan of a risk already accepted.
 */
export interface AcceptRiskRequest {
  contingency_plan: string;
  /**
   * Chinese required, English optional (an empty string).
   */
  unified_answer: I18nText;
}

export interface AssignRequest {
  contractor: ContractorId;
  /**
   * Why the item moves (required: recorded in the project's history).
   */
  reason?: string;
}

/**
 * Counts of the defects found in the round, by each dimension.
 */
export interface Breakdowns {
  by_building: Record<string, number>;
  by_category: Record<string, number>;
  by_contractor: Record<string, number>;
  by_room: Record<string, number>;
  by_room_kind: Record<string, number>;
  by_severity: Record<string, number>;
  by_trade: Record<string, number>;
  total: number;
}

export interface Building {
  engineer: null | UserId;
  floors: number;
  id: BuildingId;
  name: I18nText;
}

/**
 * A building (楼栋) within a project.
 */
export type BuildingId = string;

export interface BuildingKpi {
  building: BuildingId;
  /**
   * Own-inspection defects.
   */
  defects_found_in_round: number;
  item_pass_rate: Rate;
  open_defects: number;
  unit_pass_rate: Rate;
  units: number;
  units_inspected: number;
}

export interface Category {
  /**
   * The deadline is a day, not an instant: it runs to the end of the
   * project's local day on which `deadline_hours` run out ("7 days"
   * means any time on the 7th day). Off: exactly `deadline_hours` later.
   */
  deadline_end_of_day: boolean;
  /**
   * Rectification deadline, counted from assignment (e.g. leakage 48 h).
   */
  deadline_hours: number;
  hard_kind: null | HardKind;
  id: CategoryId;
  /**
   * "Other" (其他): choosing it requires a written reason.
   */
  is_other: boolean;
  name: I18nText;
  severity: Severity;
  /**
   * Notify the contractor at once rather than in the daily digest.
   */
  urgent: boolean;
}

/**
 * A defect category from the project's fixed list.
 */
export type CategoryId = string;

/**
 * `POST /auth/password`: the current password and the new one.
 */
export interface ChangePasswordRequest {
  new_password: string;
  old_password: string;
}

/**
 * `PUT /projects/{p}/contractor-channels/{contractor}`: the contractor's
 * group robot.
 */
export interface ChannelRequest {
  /**
   * `wecom` (企业微信群机器人) or `dingtalk` (钉钉群机器人).
   */
  kind: string;
  /**
   * DingTalk's signing secret (`SEC…`) when the robot signs ("加签").
   */
  secret: string | null;
  /**
   * The robot's webhook address, as the group's robot settings show it.
   */
  webhook: string;
}

/**
 * A contractor's group robot as the CS center sees it (never the secret).
 */
export interface ChannelView {
  contractor: ContractorId;
  kind: string;
  signed: boolean;
  updated_at: number;
  updated_by: UserId;
  webhook: string;
}

export interface ChecklistItem {
  code: ItemCode;
  default_category: CategoryId;
  default_trade: TradeId;
  element: ElementId;
  /**
   * 验收方法
   */
  method: I18nText;
  /**
   * A retired item is no longer inspected but keeps its history.
   */
  retired: boolean;
  room_kind: RoomKind;
  /**
   * 验收标准
   */
  standard: I18nText;
  title: I18nText;
}

export interface ChecklistTemplate {
  id: TemplateId;
  /**
   * Items in inspection order; each applies to every room of its kind.
   */
  items: ChecklistItem[];
  name: I18nText;
}

export interface Column {
  en: string;
  key: string;
  kind: Kind;
  zh: string;
}

/**
 * Which column of a unit list holds what, by header text, and which row
 * is the header. A column left out is found by its usual English or
 * Chinese header; the header row, as the first row naming the columns.
 */
export interface ColumnMapping {
  building: string | null;
  /**
   * Optional: the entrance (单元) within the building; when present it
   * is part of the unit's address (`<entrance>-<number>`) and id.
   */
  entrance: string | null;
  floor: string | null;
  /**
   * The header's row as the spreadsheet numbers it (1-based, counting
   * title, note and blank rows above it).
   */
  header_row: number | null;
  /**
   * Create unit types the project does not have yet (with a standard set
   * of rooms, to be edited), instead of refusing their rows.
   */
  new_unit_types?: boolean;
  number: string | null;
  /**
   * Optional: the unit's id (default: building-number).
   */
  unit: string | null;
  unit_type: string | null;
}

/**
 * A company (公司) in the group.
 */
export type CompanyId = string;

export interface CompanyOverview {
  as_of: number;
  /**
   * The company's id, and its name as its projects record it.
   */
  company: string;
  company_name: I18nText;
  projects: CompanyProject[];
}

/**
 * One project of `GET /company/overview`: cumulative figures to date, the
 * cumulative report's numbers (the core's `round_kpis` over the read model).
 */
export interface CompanyProject {
  /**
   * 完结率, a fraction (none without a denominator).
   */
  closed_rate: number | null;
  /**
   * Those days in words (`rules::handover_countdown`): "31 days past handover", never "-31".
   */
  countdown: I18nText;
  current_round: null | RoundNo;
  days_to_handover: number;
  failed_twice_or_more: number;
  handover_date: string;
  id: ProjectId;
  name: I18nText;
  open_defects: number;
  overdue: number;
  rounds: number;
  /**
   * The project's IANA time zone (its days are local days there).
   */
  time_zone: string;
  /**
   * 及时完结率, a fraction (none without a denominator).
   */
  timely_rate: number | null;
  units: number;
  units_inspected: number;
}

/**
 * 完结率 and 及时完结率 for a group of defects at a date.
 */
export interface Completion {
  /**
   * Verified or accepted as a risk by the date.
   */
  closed: number;
  /**
   * Verified, with the repair done by the first deadline.
   */
  closed_in_time: number;
  /**
   * 完结率: closed / total.
   */
  closed_rate: Rate;
  /**
   * Defects whose first deadline has passed, or that are closed.
   */
  due: number;
  /**
   * Defects whose repairs by this group's contractor failed recheck twice
   * or more (as of the round).
   */
  failed_twice_or_more: number;
  open: number;
  /**
   * Open and past the deadline running at the date, no repair reported.
   */
  overdue: number;
  /**
   * 及时完结率: closed in time / due.
   */
  timely_rate: Rate;
  /**
   * Recorded by the date and not withdrawn.
   */
  total: number;
}

/**
 * Completion tables for one source of defects.
 */
export interface CompletionTables {
  by_contractor: Record<string, Completion>;
  by_engineer: Record<string, Completion>;
  overall: Completion;
}

export interface Contact {
  email: string;
  name: string;
  phone: string;
}

export interface Contractor {
  contact: Contact;
  id: ContractorId;
  kind: ContractorKind;
  name: I18nText;
  trades: TradeId[];
}

/**
 * A contractor or supplier.
 */
export type ContractorId = string;

export interface ContractorItem {
  attempt: number;
  building: Named;
  category: I18nText;
  deadline: number | null;
  defect: DefectId;
  description: string;
  fix: null | FixView;
  floor: number;
  found_round: RoundNo;
  overdue: boolean;
  photos: PhotoView[];
  pin: null | Point;
  /**
   * The unit type's rooms on its floor plan, to place the pin.
   */
  plan: PlanRoom[];
  plan_image: null | PhotoHash;
  room: I18nText;
  /**
   * The rounds that put it on the list.
   */
  rounds: RoundNo[];
  severity: string;
  spot: string;
  status: DefectStatus;
  /**
   * Until when the report can be undone.
   */
  undo_until: number | null;
  unit: UnitId;
  unit_number: string;
}

export type ContractorKind = "contractor" | "supplier";

/**
 * A contractor link as stored (its secret is never stored, only a hash).
 */
export interface ContractorLink {
  contractor: ContractorId;
  created_at: number;
  created_by: UserId;
  expires_at: number;
  id: string;
  last_used_at: number | null;
  project: ProjectId;
  revoked_at: number | null;
  revoked_by: null | UserId;
}

/**
 * Everything the contractor's page shows.
 */
export interface ContractorPage {
  contractor: Named;
  /**
   * How many items are overdue, and how many more fall due soon.
   */
  due: DueSummary;
  items: ContractorItem[];
  now: number;
  project: Named;
  /**
   * The project's IANA time zone: the page shows deadlines and times in it.
   */
  time_zone: string;
}

/**
 * `GET /projects/{p}/defects/{id}`.
 */
export interface DefectDetail {
  category: Named;
  closed_at: number | null;
  contractor: null | Named;
  current_deadline: number | null;
  description: string;
  failed_rechecks: number;
  first_deadline: number | null;
  found_at: number;
  found_by: UserId;
  found_by_name: Shown;
  found_device: null | DeviceShown;
  found_round: RoundNo;
  /**
   * Every event, in the order the status is folded from.
   */
  history: HistoryItem[];
  id: DefectId;
  other_reason: string | null;
  overdue: boolean;
  photos: PhotoView[];
  pin: null | Point;
  place: DefectPlace;
  plan: PlanRoom[];
  plan_image: null | PhotoHash;
  responsible: null | Named;
  risk: null | RiskDecision;
  root_cause: null | Named;
  severity: string;
  source: Source;
  status: DefectStatus;
  trade: Named;
}

/**
 * A defect, minted by the tablet that recorded it.
 */
export type DefectId = string;

/**
 * Where a defect is, named for a reader.
 */
export interface DefectPlace {
  building: Named;
  floor: number;
  room: Named;
  spot: string;
  unit: UnitId;
  unit_number: string;
}

export type DefectStatus = "open" | "assigned" | "failed_recheck" | "reported_fixed" | "verified" | "accepted_risk" | "withdrawn";

/**
 * One device (Automerge actor) and the user it writes for.
 */
export interface DeviceActor {
  actor: string;
  changes: number;
  first_seen_ms: number;
  /**
   * "li-tablet · 3fa2c1", or the short id alone (`doc::writers::device_label`);
   * empty for the server's own actors.
   */
  label: string;
  last_seen_ms: number;
  /**
   * The name the device gave, if it did (older rows have none).
   */
  name: string | null;
  /**
   * One of the server's own actors (its edits for the console and
   * contractors' links), not a device.
   */
  server: boolean;
  user: UserId;
}

/**
 * A device saying who it is (`ManifestRequest::device`).
 */
export interface DeviceHello {
  /**
   * Its Automerge actor id, lowercase hex (`doc::writers::check_device_actor`).
   */
  actor: string;
  /**
   * Its name (the OS hostname unless set; `doc::writers::check_device_name`).
   */
  name: string | null;
}

/**
 * A device of the project with its name, for a tablet's histories.
 */
export interface DeviceName {
  actor: string;
  name: string;
}

/**
 * A writer as readers are shown it (the console's histories, the device
 * list): the server, or a device with its name and short id.
 */
export interface DeviceShown {
  /**
   * The device's actor id in hex (for the server, the party it acted for).
   */
  actor: string;
  /**
   * "li-tablet · 3fa2c1", or the short id alone (`device_label`); empty
   * for the server.
   */
  label: string;
  /**
   * The name the device gave (its hostname unless set), if it gave one.
   */
  name: string | null;
  /**
   * Written by the server itself: the console's dispatch and risks, a
   * contractor's link (front ends say "server" / 服务器).
   */
  server: boolean;
}

/**
 * `GET /projects/{p}/dispatch[?round=N]`: what dispatching now would send,
 * grouped by contractor, each item with its category's deadline from now.
 */
export interface DispatchPlanView {
  groups: PlanGroup[];
  round: null | RoundNo;
  /**
   * Waiting items no contractor could be found for (deadline: none).
   */
  unroutable: PlanItem[];
}

/**
 * `POST /projects/{p}/dispatch`: everything waiting (no body, or no
 * `defects`), or only the listed defects (each must be waiting).
 */
export interface DispatchRequest {
  defects: DefectId[] | null;
}

export interface DispatchResponse {
  /**
   * Defects sent to a contractor by this request.
   */
  assigned: number;
  /**
   * Open defects no contractor could be found for: assign them by hand.
   */
  unroutable: DefectId[];
}

export interface DocHeads {
  doc: DocKey;
  /**
   * Change hashes, hex.
   */
  heads: string[];
}

/**
 * A document: `<project>/project` or `<project>/unit/<unit>`.
 */
export type DocKey = string;

export interface DocPush {
  /**
   * Changes for the server (Automerge `save_after` bytes), possibly empty.
   */
  changes: string;
  doc: DocKey;
  /**
   * The client's heads (empty: it has nothing of this document).
   */
  have: string[];
}

export interface DocReply {
  /**
   * Changes for the client, possibly empty.
   */
  changes: string;
  doc: DocKey;
  /**
   * Why this document was refused (nothing of it was stored); the rest of
   * the request went through.
   */
  error: string | null;
  /**
   * The server's heads after applying the client's changes.
   */
  heads: string[];
}

/**
 * One defect behind a number of the report.
 */
export interface DrillItem {
  building: Shown;
  category: I18nText;
  contractor: null | ContractorId;
  contractor_name: null | Shown;
  /**
   * Failed rechecks counted by the report date (of the contractor's
   * repairs when the drill-down names a contractor).
   */
  failed_rechecks: number;
  first_deadline: string | null;
  found_at: string;
  found_round: RoundNo;
  id: DefectId;
  overdue: boolean;
  room: RoomId;
  room_name: Shown;
  status: DefectStatus;
  unit: UnitId;
  /**
   * The unit as people say it (building and door number).
   */
  unit_name: Shown;
}

/**
 * Overdue items and items due within `days`.
 */
export interface DueSummary {
  days: number;
  due_soon: number;
  overdue: number;
}

/**
 * `POST /api/v1/projects/{id}/edits`: applied in order, all or none, as
 * one change of the project document.
 */
export interface EditRequest {
  edits: ProjectEdit[];
}

/**
 * An element of a unit (door, window, cabinet, floor tiles…).
 */
export type ElementId = string;

/**
 * Every error response: a sentence for a person.
 */
export interface ErrorBody {
  /**
   * For answers a program must tell apart, e.g. `ACCOUNT_DISABLED`.
   */
  code: string | null;
  error: string;
}

/**
 * One event in a defect's history.
 */
export type EventId = string;

/**
 * (Externally tagged, with deadlines in epoch milliseconds, so that events
 * stored as JSON in documents parse fast.)
 */
export type EventKind = {
  /**
   * Sent to a contractor for repair, with the attempt's deadline. A second
   * assignment within an attempt is a reassignment: the deadline stays.
   */
  assigned: {
    contractor: ContractorId;
    deadline: number;
  };
} | {
  /**
   * The contractor says it is fixed.
   */
  reported_fixed: {
    note: string;
    photo: null | PhotoHash;
  };
} | {
  /**
   * The contractor takes back a "fixed" report made by mistake.
   */
  fix_retracted: {
    note: string;
  };
} | {
  /**
   * Rechecked on site. A failure opens a new attempt with a new deadline.
   */
  rechecked: {
    new_deadline: number | null;
    note: string;
    passed: boolean;
    photo: null | PhotoHash;
  };
} | {
  /**
   * Cannot be fixed before handover: the CS center accepts the risk and
   * gives the unified answer (统一口径) and contingency plan (预案).
   */
  accepted_risk: {
    contingency_plan: string;
    unified_answer: I18nText;
  };
} | {
  /**
   * Recorded in error.
   */
  withdrawn: {
    reason: string;
  };
} | {
  /**
   * A field of the defect was edited (kept for the audit trail; the field
   * itself holds the current value).
   */
  edited: {
    field: string;
    value: string;
  };
};

export interface ExchangeRequest {
  docs: DocPush[];
  project: ProjectId;
}

export interface ExchangeResponse {
  docs: DocReply[];
}

export interface FileSizes {
  json: number;
  pdf: number;
  xlsx: number;
}

export interface FixView {
  at: number;
  note: string;
  photo: null | PhotoHash;
}

export interface FixedRequest {
  note: string;
  photo: null | PhotoHash;
}

export interface HardCount {
  found_in_round: number;
  kind: null | HardKind;
  open: number;
  to_date: number;
}

/**
 * The three kinds of problem that are hardest to recover from, counted apart.
 */
export type HardKind = "sales_promise" | "leakage" | "design_defect";

/**
 * One recorded act on a project: who, when, what kind of act, what (in
 * English words) and its particulars (old and new values where there are
 * some) for the console to say in either language.
 */
export interface HistoryEntry {
  /**
   * RFC 3339.
   */
  at: string;
  by: UserId;
  detail: unknown;
  /**
   * `setup`, `people`, `dispatch`, `reassign`, `link_created`,
   * `link_revoked`, `robot_set`, `robot_removed`, `risk`,
   * `report_issued`, `report_shared`, `share_revoked`.
   */
  kind: string;
  what: string;
}

/**
 * One event of a defect's history, with its author's name.
 */
export interface HistoryItem {
  /**
   * When, by the server's clock (the order of the history).
   */
  at: number;
  by: UserId;
  /**
   * Who that is: a person, a contractor through its link, the server (`names::Project::author_name`).
   */
  by_name: Shown;
  contractor_name: null | Shown;
  device: null | DeviceShown;
  /**
   * What the writer's device clock said, when it was off.
   */
  device_at: number | null;
  id: EventId;
  /**
   * Kept in the history but changing nothing (after closure, duplicates).
   */
  ignored: boolean;
  kind: EventKind;
  round: RoundNo;
  /**
   * `assigned`, `reported_fixed`, `rechecked`, `accepted_risk`, …
   */
  type: string;
}

/**
 * `GET /projects/{p}/history`: an entry with its author's name and the
 * name of everything its particulars name (`names::history_names`), keyed
 * `<kind>:<id>` (`contractor:c-guan`, `unit:B1-0101`, `user:u-cs-wang`,
 * `building:B1`, `category:leak`, `trade:tiling`).
 */
export type HistoryView = HistoryEntry & {
  by_name: Shown;
  names: Record<string, Shown>;
};

/**
 * Text in both UI languages.
 */
export interface I18nText {
  en: string;
  zh: string;
}

/**
 * How far one inspector is with their part of a round's plan.
 */
export interface InspectorProgress {
  assigned: number;
  /**
   * Inspected completely (open defects or not).
   */
  done: number;
  inspector: UserId;
  started: number;
}

/**
 * `POST /api/v1/projects/{id}/people`: an account for a person, with a
 * role and this project in its scope (an existing account gains the project).
 */
export interface InviteRequest {
  name: string;
  org?: string;
  role: Role;
  username: string;
}

export interface IssueRequest {
  /**
   * A report date (YYYY-MM-DD) instead of the round's default.
   */
  as_of: string | null;
  /**
   * At most this many photos (default 1,000).
   */
  max_photos: number | null;
  /**
   * Print photos with their marks in the per-unit appendix (default yes).
   */
  photos: boolean | null;
}

/**
 * An issued report as listed (its files are fetched one by one).
 */
export interface IssuedReport {
  /**
   * The report date the figures are counted to (epoch milliseconds).
   */
  as_of: number;
  id: string;
  /**
   * Epoch milliseconds.
   */
  issued_at: number;
  issued_by: UserId;
  project: ProjectId;
  round: number;
  /**
   * `round` or `cumulative`.
   */
  scope: string;
  /**
   * Sizes of the stored files in bytes.
   */
  sizes: FileSizes;
  /**
   * 1, 2, … per project, scope and round.
   */
  version: number;
  with_photos: boolean;
}

export type IssuedView = IssuedReport & {
  /**
   * Who issued it, named from the project's people.
   */
  issued_by_name: Shown;
  shares: ShareView[];
};

/**
 * A checklist item code, e.g. `KIT-03`.
 */
export type ItemCode = string;

export type JobState = "queued" | "running" | "done" | "failed";

/**
 * A job as its starter sees it.
 */
export interface JobView {
  by: UserId;
  done: number;
  /**
   * Why it failed, in words.
   */
  error: string | null;
  finished_at: number | null;
  id: string;
  kind: string;
  project: ProjectId;
  /**
   * What it made (for an issued report: its metadata).
   */
  result?: unknown;
  /**
   * What it is doing now (`reading`, `computing`, `workbook`, `appendix`,
   * `photos`, `writing`, `storing`).
   */
  stage: string;
  /**
   * Epoch milliseconds.
   */
  started_at: number;
  state: JobState;
  total: number;
}

/**
 * How a column's values are meant: text, a count, a rate (a fraction
 * 0..=1, or null without a denominator) or another number.
 */
export type Kind = "text" | "count" | "rate" | "number" | "date";

/**
 * A refused attempt to use a link.
 */
export interface LinkRefusal {
  at: number;
  link: string | null;
  reason: string;
  request: string;
}

/**
 * One line of a contractor's rectification list.
 */
export interface ListItem {
  assigned: null | ContractorId;
  /**
   * 1 for the first repair, 2 after the first failed recheck, …
   */
  attempt: number;
  building: BuildingId;
  /**
   * The deadline of the current attempt (none once closed).
   */
  deadline: string | null;
  defect: DefectId;
  overdue: boolean;
  reported_fixed_at: string | null;
  responsible: null | ContractorId;
  /**
   * The rounds that put the item on the list.
   */
  rounds: RoundNo[];
  status: DefectStatus;
  unit: UnitId;
}

export interface LoginRequest {
  password: string;
  username: string;
}

export interface LoginResponse {
  /**
   * RFC 3339.
   */
  expires_at: string;
  /**
   * The password is temporary (invited, reset): until it is changed
   * (`POST /auth/password`) every other request is refused.
   */
  must_change_password: boolean;
  token: string;
  user: UserInfo;
}

export interface ManifestRequest {
  /**
   * The server's change counter the client last caught up with (0: never).
   */
  cursor: number;
  device: null | DeviceHello;
  project: ProjectId;
}

export interface ManifestResponse {
  cursor: number;
  /**
   * The named devices of the project, so a tablet's histories can name
   * the other tablets too. Absent from older servers.
   */
  devices?: DeviceName[];
  docs: DocHeads[];
  /**
   * How many bytes of other people's photos and floor plans a tablet may
   * keep for offline work (the server's `tablet.photo_budget_mb`). Absent
   * from older servers: the tablet keeps its own default.
   */
  photo_budget_bytes: number | null;
  /**
   * The server's clock when it answered (epoch ms; 0 from an older
   * server): tablets date their events by it (see `defect.rs`).
   */
  server_time_ms: number;
}

export interface Material {
  element: ElementId;
  name: I18nText;
  spec: string;
  supplier: ContractorId;
  /**
   * The supplier also installs it (cabinets, doors, windows, sanitary
   * ware): defects on the element go to the supplier. When false (tiles,
   * paint) the supplier only delivers and the laying trade is responsible.
   */
  supplier_installs: boolean;
}

export interface Named {
  id: string;
  name: I18nText;
}

export interface NewLinkRequest {
  contractor: ContractorId;
  /**
   * Days until it expires (the server's default when absent).
   */
  days: number | null;
}

export interface NewLinkResponse {
  expires_at: number;
  id: string;
  /**
   * The page with the token, relative to the server (`/ui/contractor/#k=…`).
   */
  path: string;
  /**
   * Shown once: the server keeps only its hash.
   */
  token: string;
}

/**
 * `POST /api/v1/projects`: a new project under the signed-in CS admin's
 * company, its standards copied from a library.
 */
export interface NewProjectRequest {
  handover_date: string;
  id: ProjectId;
  library: null | ProjectId;
  name: I18nText;
  /**
   * The project's IANA time zone; `None`: Asia/Shanghai.
   */
  time_zone: string | null;
}

export interface NewShare {
  /**
   * Where the link opens (the secret in the fragment, never sent in a URL).
   */
  path: string;
  share: ReportShare;
  /**
   * The secret: shown once, never stored.
   */
  token: string;
}

/**
 * `POST …/shares` body (optional): how many days the link lasts (1 to 366).
 */
export interface NewShareRequest {
  days: number | null;
}

/**
 * A named node of the organisation (group or company).
 */
export interface OrgNode {
  id: CompanyId;
  name: I18nText;
}

/**
 * A message to deliver, keyed by its delivery key.
 */
export interface OutboxMessage {
  attempts: number;
  /**
   * The JSON payload (webhook) or the text (email).
   */
  body: string;
  /**
   * `webhook` or `email`.
   */
  channel: string;
  contractor: ContractorId;
  created_at: number;
  key: string;
  last_error: string | null;
  next_attempt_at: number;
  project: ProjectId;
  /**
   * A URL or an email address.
   */
  recipient: string;
  sent_at: number | null;
  /**
   * `pending`, `sending`, `sent`, `failing` or `dead`.
   */
  status: string;
  subject: string;
}

export interface Person {
  contractor: null | ContractorId;
  id: UserId;
  name: string;
  /**
   * Where they come from: CS center, property management, engineering…
   */
  org: string;
  role: Role;
}

/**
 * A person of the project with their account's state.
 */
export interface PersonAccount {
  disabled: boolean;
  id: UserId;
  name: string;
  org: string;
  /**
   * Every project in the account's scope.
   */
  projects: ProjectId[];
  role: Role;
  username: string;
}

/**
 * A photo's content address: lowercase hex SHA-256 of the original bytes.
 */
export type PhotoHash = string;

export interface PhotoUploaded {
  hash: PhotoHash;
}

export interface PhotoView {
  hash: PhotoHash;
  marks: Shape[];
}

export interface PlanGroup {
  contractor: Named;
  items: PlanItem[];
}

export interface PlanItem {
  category: I18nText;
  /**
   * Epoch ms; none for an unroutable item.
   */
  deadline: number | null;
  defect: DefectId;
  description: string;
  room: I18nText;
  round: RoundNo;
  spot: string;
  unit: UnitId;
}

export interface PlanRoom {
  /**
   * The defect's room.
   */
  here: boolean;
  name: I18nText;
  /**
   * The room's outline (a polygon, normalised image coordinates).
   */
  outline: Point[];
}

/**
 * A point in normalised coordinates (0..1 across, 0..1 down) of an image or
 * floor plan, so that it survives resizing.
 */
export interface Point {
  x: number;
  y: number;
}

export interface Project {
  buildings: Building[];
  categories: Category[];
  /**
   * The company (公司) the project belongs to.
   */
  company: OrgNode;
  contractors: Contractor[];
  /**
   * The group (集团) at the top of the hierarchy.
   */
  group: OrgNode;
  /**
   * The contractual handover date (交房日期).
   */
  handover_date: string;
  id: ProjectId;
  name: I18nText;
  people: Person[];
  rounds: RoundPlan[];
  templates: ChecklistTemplate[];
  /**
   * The project's time zone, an IANA name (`Asia/Shanghai`). Every day
   * people see — round dates, the handover date, report dates, deadlines
   * shown and "overdue" — is a day in this zone. Projects made before it
   * existed read as [`crate::time::DEFAULT_ZONE`].
   */
  time_zone: string;
  /**
   * Which contractor does which trade, project-wide or for one building.
   */
  trade_assignments: TradeAssignment[];
  trades: Trade[];
  unit_types: UnitType[];
  units: Unit[];
}

/**
 * One change to a project's configuration.
 */
export type ProjectEdit = {
  handover_date: string;
  name: I18nText;
  op: "set_info";
} | {
  op: "set_time_zone";
  time_zone: string;
} | {
  building: Building;
  op: "put_building";
} | {
  op: "put_unit_type";
  unit_type: UnitType;
} | {
  floor_plan: string;
  op: "set_floor_plan";
  unit_type: UnitTypeId;
} | {
  op: "set_room_outlines";
  outlines: RoomOutline[];
  unit_type: UnitTypeId;
} | {
  from: TemplateId;
  id: TemplateId;
  name: I18nText;
  op: "copy_template";
} | {
  item: ChecklistItem;
  op: "put_item";
  template: TemplateId;
} | {
  code: ItemCode;
  op: "move_item";
  template: TemplateId;
  to: number;
} | {
  code: ItemCode;
  op: "retire_item";
  retired: boolean;
  template: TemplateId;
} | {
  category: Category;
  op: "put_category";
} | {
  op: "put_trade";
  trade: Trade;
} | {
  contractor: Contractor;
  op: "put_contractor";
} | {
  assignment: TradeAssignment;
  op: "assign_trade";
} | {
  building: null | BuildingId;
  op: "unassign_trade";
  trade: TradeId;
} | {
  material: Material;
  op: "put_material";
  unit_type: UnitTypeId;
} | {
  element: ElementId;
  op: "remove_material";
  unit_type: UnitTypeId;
} | {
  op: "put_person";
  person: Person;
} | {
  op: "put_round";
  round: RoundPlan;
};

/**
 * A project (项目/楼盘).
 */
export type ProjectId = string;

/**
 * One project in the list of those the user may see.
 */
export interface ProjectSummary {
  buildings: number;
  handover_date: string;
  id: ProjectId;
  name: I18nText;
  rounds: number;
  /**
   * The project's IANA time zone: front ends show its days and times in it.
   */
  time_zone: string;
  units: number;
}

export interface QrRequest {
  text: string;
}

/**
 * A ratio kept as its two counts, so that tables can show "12 / 40" and the
 * rate, and so that rates add up across groups correctly.
 */
export interface Rate {
  den: number;
  num: number;
}

export interface RecheckKpi {
  /**
   * Of those, rechecked in the round.
   */
  done: number;
  /**
   * Defects from earlier rounds the round had to recheck.
   */
  due: number;
  failed_again: number;
  /**
   * Defects that have now failed recheck twice or more.
   */
  failed_twice_or_more: number;
  /**
   * Per contractor: defects whose repairs by that contractor failed
   * recheck twice or more (a failure counts against the contractor whose
   * repair failed, even if the item moved on).
   */
  failed_twice_or_more_by_contractor: Record<string, number>;
  passed: number;
}

/**
 * A rectangle in normalised floor-plan coordinates.
 */
export interface Rect {
  h: number;
  w: number;
  x: number;
  y: number;
}

/**
 * A CS-center list of one contractor's items.
 */
export interface RectificationResponse {
  contractor: ContractorId;
  items: ListItem[];
  round: null | RoundNo;
}

/**
 * A spot (unit, room, element) that has had more than one defect: the same
 * thing failing again means the root cause was missed.
 */
export interface RepeatSpot {
  /**
   * Defects recorded at this spot.
   */
  defects: number;
  element: ElementId;
  /**
   * Failed rechecks summed over them.
   */
  failed_rechecks: number;
  room: RoomId;
  unit: UnitId;
}

/**
 * A link to an issued report (its secret is never stored, only a hash).
 */
export interface ReportShare {
  created_at: number;
  created_by: UserId;
  /**
   * When the link stops working (milliseconds); refused like a revoked one after.
   */
  expires_at: number | null;
  id: string;
  last_used_at: number | null;
  report: string;
  revoked_at: number | null;
  revoked_by: null | UserId;
}

/**
 * A defect's accepted risk as it stands: the latest answer and plan, who
 * accepted it and when, and the latest edit.
 */
export interface RiskDecision {
  accepted_at: number;
  accepted_by: UserId;
  contingency_plan: string;
  edited_at: number;
  /**
   * The latest edit (the acceptance itself when never edited).
   */
  edited_by: UserId;
  /**
   * How many times the answer or plan was edited after the acceptance.
   */
  edits: number;
  unified_answer: I18nText;
}

/**
 * One row of `GET /projects/{p}/risks`.
 */
export interface RiskRow {
  accepted_by_name: Shown;
  category: Named;
  contractor: null | Named;
  defect: DefectId;
  description: string;
  edited_by_name: Shown;
  place: DefectPlace;
  risk: RiskDecision;
}

export type Role = "cs_admin" | "inspector" | "engineer" | "contractor";

export interface Room {
  id: RoomId;
  kind: RoomKind;
  name: I18nText;
  /**
   * The room's outline drawn on the floor-plan image: a polygon in
   * normalised image coordinates (empty: not drawn).
   */
  outline?: Point[];
  plan_area: null | Rect;
}

/**
 * A room within a unit type, e.g. `bed2`.
 */
export type RoomId = string;

export type RoomKind = "entrance" | "living" | "dining" | "bedroom" | "study" | "kitchen" | "bathroom" | "balcony" | "utility" | "other";

/**
 * One room's outline in a `ProjectEdit::SetRoomOutlines`.
 */
export interface RoomOutline {
  outline: Point[];
  room: RoomId;
}

export interface RoundAssignment {
  buildings: BuildingId[];
  inspector: UserId;
  units: UnitId[];
}

export interface RoundKpis {
  as_of: string;
  by_building: BuildingKpi[];
  /**
   * Cumulative to the round.
   */
  completion: Record<string, CompletionTables>;
  /**
   * Everything below is kept apart by source: easy self-found items must
   * not dilute owner-reported ones.
   */
  found: Record<string, Breakdowns>;
  /**
   * The same breakdowns of every defect found up to and including the
   * round (what a cumulative report shows).
   */
  found_to_date?: Record<string, Breakdowns>;
  hard_three: Record<string, HardCount[]>;
  rechecks: Record<string, RecheckKpi>;
  /**
   * Spots with two or more defects, or a defect failed twice or more.
   */
  repeat_spots: RepeatSpot[];
  round: RoundNo;
  summary: Summary;
}

/**
 * A round number: 1, 2, 3, … (at least three rounds are run).
 */
export type RoundNo = number;

export interface RoundPlan {
  /**
   * Who inspects what in this round.
   */
  assignments: RoundAssignment[];
  due: string;
  no: RoundNo;
  /**
   * Content, standards to apply and materials to prepare, in words.
   */
  notes: string;
  start: string;
}

export interface RoundReport {
  as_of: string;
  /**
   * Those days as people read them ("31 days past handover", 交付已逾期 31 天).
   */
  countdown: I18nText;
  /**
   * Whole days from the report date to the handover date (negative after it).
   */
  days_to_handover: number;
  handover_date: string;
  /**
   * The core's figures, as computed.
   */
  kpis: RoundKpis;
  previous: null | RoundKpis;
  project: ProjectId;
  project_name: I18nText;
  round: RoundNo;
  scope: Scope;
  tables: Table[];
  /**
   * The project's IANA time zone: the report's days are local days there,
   * and front ends show its instants in it.
   */
  time_zone: string;
  /**
   * Own-inspection defects found and still open at the end of each round
   * started by the report date (the last one as of the report date).
   */
  trend: TrendPoint[];
  /**
   * The same week by week (local weeks, Monday to Sunday), from the
   * first round's start to the report date. Issued before weeks were
   * kept: empty.
   */
  weeks: WeekPoint[];
}

/**
 * One problem with one row of an imported file, numbered as the
 * spreadsheet shows it (1-based, title and blank rows counted).
 */
export interface RowError {
  reason: string;
  row: number;
}

/**
 * What a report covers.
 */
export type Scope = "round" | "cumulative";

export type Severity = "minor" | "major" | "critical";

/**
 * A chalk mark on a photo, in normalised image coordinates. (Externally
 * tagged: it parses without buffering, which matters when a unit with
 * hundreds of marks is read.)
 */
export type Shape = {
  /**
   * A circle around the spot; the radius is a fraction of the image width.
   */
  circle: {
    center: Point;
    radius: number;
  };
} | {
  /**
   * An arrow pointing from `from` to the spot at `to`.
   */
  arrow: {
    from: Point;
    to: Point;
  };
} | {
  /**
   * A short text written beside the spot.
   */
  label: {
    at: Point;
    text: string;
  };
};

/**
 * A share link with the name of who made it.
 */
export type ShareView = ReportShare & {
  created_by_name: Shown;
  revoked_by_name: null | Shown;
};

/**
 * What a share link's page shows: which report, and its figures.
 */
export interface SharedView {
  issued: IssuedReport;
  report: unknown;
}

/**
 * A name for a reader in both languages. `known` is false when the
 * project's lists do not hold the id: the text is then the id itself, and
 * a reader shows it marked as such.
 */
export interface Shown {
  en: string;
  known: boolean;
  zh: string;
}

/**
 * Where a defect came from. Statistics keep the two apart.
 */
export type Source = "own_inspection" | "owner_reported";

export interface Summary {
  /**
   * Found by the developer's own inspection in the round.
   */
  defects_found_in_round: number;
  /**
   * Own-inspection defects found in the round per 100 inspected units.
   */
  defects_per_100_units: number | null;
  defects_to_date: number;
  /**
   * Passed lines over checked lines (not applicable excluded).
   */
  item_pass_rate: Rate;
  open_defects: number;
  /**
   * Owner-reported defects, counted apart.
   */
  owner_reported_in_round: number;
  owner_reported_open: number;
  owner_reported_to_date: number;
  /**
   * Units inspected in full with no failed item and no failed recheck.
   */
  unit_pass_rate: Rate;
  units_done: number;
  units_done_with_open_defects: number;
  /**
   * Units with anything recorded in the round.
   */
  units_inspected: number;
  units_total: number;
}

/**
 * One table of the report. Cells are JSON values: strings for text,
 * numbers for counts, rates and numbers, null for "no value".
 */
export interface Table {
  columns: Column[];
  en: string;
  key: string;
  rows: ((string | number | null)[])[];
  zh: string;
}

/**
 * A checklist template.
 */
export type TemplateId = string;

/**
 * An invitation or a reset: the password to hand over, shown once.
 */
export interface TemporaryPassword {
  password: string;
  user: PersonAccount;
}

export interface Trade {
  id: TradeId;
  name: I18nText;
}

export interface TradeAssignment {
  building: null | BuildingId;
  contractor: ContractorId;
  trade: TradeId;
}

/**
 * A trade (工种), e.g. waterproofing.
 */
export type TradeId = string;

/**
 * One round's point of the open-defects trend.
 */
export interface TrendPoint {
  as_of: string;
  found: number;
  open: number;
  overdue: number;
  round: number;
}

export interface Unit {
  building: BuildingId;
  floor: number;
  id: UnitId;
  /**
   * The door number (房号) as written on site, e.g. `0302`.
   */
  number: string;
  unit_type: UnitTypeId;
}

/**
 * A unit (户), unique within a project, e.g. `1-0302`.
 */
export type UnitId = string;

/**
 * What importing a unit list would do, before anything is stored.
 */
export interface UnitPreview {
  /**
   * Every bad row; when there is one, importing adds nothing.
   */
  errors: RowError[];
  /**
   * The first rows of the file (a few cells of each, shortened), to
   * choose the header row from.
   */
  first_rows: string[][];
  /**
   * The header row used (as the spreadsheet numbers it) and its cells.
   */
  header_row: number;
  headers: string[];
  /**
   * The mapping used: the given one, with the rest found by header.
   */
  mapping: ColumnMapping;
  new_buildings: BuildingId[];
  new_unit_types: UnitTypeId[];
  /**
   * The units the file adds (all of them, in file order).
   */
  units: Unit[];
}

export interface UnitType {
  area_m2: number | null;
  /**
   * The floor-plan image (a path in fixtures, a content hash once imported).
   */
  floor_plan: string | null;
  id: UnitTypeId;
  /**
   * Materials and fittings per element, with their supplier.
   */
  materials: Material[];
  name: I18nText;
  /**
   * Rooms in walking order.
   */
  rooms: Room[];
  template: TemplateId;
}

/**
 * A unit type (户型).
 */
export type UnitTypeId = string;

/**
 * A person with an account: inspector, CS staff, engineer, contractor.
 */
export type UserId = string;

export interface UserInfo {
  id: UserId;
  name: string;
  projects: ProjectId[];
  role: Role;
}

/**
 * One week of the open-defects trend (own inspection): a local week,
 * Monday to Sunday in the project's zone, and the figures at its end (or
 * at the report date, for the week it falls in).
 */
export interface WeekPoint {
  /**
   * The instant the figures are counted to.
   */
  as_of: string;
  /**
   * Closed (verified or accepted as a risk) in the week.
   */
  closed: number;
  /**
   * Recorded in the week.
   */
  found: number;
  /**
   * Open at the week's end.
   */
  open: number;
  /**
   * Open and past their running deadline at the week's end, no repair reported.
   */
  overdue: number;
  /**
   * The Monday the week starts on.
   */
  week_start: string;
}
