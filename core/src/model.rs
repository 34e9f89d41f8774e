//! The project model: organisation, buildings, units, unit types with their
//! rooms and materials, checklist templates, categories, trades, contractors,
//! people and round plans. This is what the project document holds.

use crate::ids::*;
use crate::listmap::{self, Keyed};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The minimum number of rounds a mock inspection plan must have.
pub const MIN_ROUNDS: usize = 3;

/// The UI languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// Text in both UI languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct I18nText {
    pub zh: String,
    pub en: String,
}

impl I18nText {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }
    /// The text in `lang`, falling back to the other language when empty.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Zh => (&self.zh, &self.en),
            Lang::En => (&self.en, &self.zh),
        };
        if first.is_empty() {
            second
        } else {
            first
        }
    }
}

fn default_time_zone() -> String {
    crate::time::DEFAULT_ZONE.name().to_owned()
}

/// A named node of the organisation (group or company).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgNode {
    pub id: CompanyId,
    pub name: I18nText,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: ProjectId,
    pub name: I18nText,
    /// The group (集团) at the top of the hierarchy.
    pub group: OrgNode,
    /// The company (公司) the project belongs to.
    pub company: OrgNode,
    /// The contractual handover date (交房日期).
    pub handover_date: NaiveDate,
    /// The project's time zone, an IANA name (`Asia/Shanghai`). Every day
    /// people see — round dates, the handover date, report dates, deadlines
    /// shown and "overdue" — is a day in this zone. Projects made before it
    /// existed read as [`crate::time::DEFAULT_ZONE`].
    #[serde(default = "default_time_zone")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub time_zone: String,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Building>))]
    pub buildings: BTreeMap<BuildingId, Building>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<UnitType>))]
    pub unit_types: BTreeMap<UnitTypeId, UnitType>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Unit>))]
    pub units: BTreeMap<UnitId, Unit>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ChecklistTemplate>))]
    pub templates: BTreeMap<TemplateId, ChecklistTemplate>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Category>))]
    pub categories: BTreeMap<CategoryId, Category>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Trade>))]
    pub trades: BTreeMap<TradeId, Trade>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Contractor>))]
    pub contractors: BTreeMap<ContractorId, Contractor>,
    /// Which contractor does which trade, project-wide or for one building.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub trade_assignments: Vec<TradeAssignment>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Person>))]
    pub people: BTreeMap<UserId, Person>,
    #[serde(with = "listmap")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<RoundPlan>))]
    pub rounds: BTreeMap<RoundNo, RoundPlan>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Building {
    pub id: BuildingId,
    pub name: I18nText,
    pub floors: u32,
    /// The engineer (工程师) of the project department responsible for it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub engineer: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub id: UnitId,
    pub building: BuildingId,
    pub floor: i32,
    /// The door number (房号) as written on site, e.g. `0302`.
    pub number: String,
    pub unit_type: UnitTypeId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Entrance,
    Living,
    Dining,
    Bedroom,
    Study,
    Kitchen,
    Bathroom,
    Balcony,
    Utility,
    Other,
}

impl RoomKind {
    pub const ALL: [RoomKind; 10] = [
        RoomKind::Entrance,
        RoomKind::Living,
        RoomKind::Dining,
        RoomKind::Bedroom,
        RoomKind::Study,
        RoomKind::Kitchen,
        RoomKind::Bathroom,
        RoomKind::Balcony,
        RoomKind::Utility,
        RoomKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Entrance => "entrance",
            RoomKind::Living => "living",
            RoomKind::Dining => "dining",
            RoomKind::Bedroom => "bedroom",
            RoomKind::Study => "study",
            RoomKind::Kitchen => "kitchen",
            RoomKind::Bathroom => "bathroom",
            RoomKind::Balcony => "balcony",
            RoomKind::Utility => "utility",
            RoomKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A point in normalised coordinates (0..1 across, 0..1 down) of an image or
/// floor plan, so that it survives resizing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn is_normalised(&self) -> bool {
        (0.0..=1.0).contains(&self.x) && (0.0..=1.0).contains(&self.y)
    }
}

/// A rectangle in normalised floor-plan coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.x && p.x <= self.x + self.w && p.y >= self.y && p.y <= self.y + self.h
    }
    /// Its corners clockwise from the top left, as a polygon.
    pub fn corners(&self) -> Vec<Point> {
        let (x, y, r, b) = (self.x, self.y, self.x + self.w, self.y + self.h);
        vec![Point { x, y }, Point { x: r, y }, Point { x: r, y: b }, Point { x, y: b }]
    }
}

/// The most corners a room's outline may have (a room is drawn by hand).
pub const MAX_OUTLINE_POINTS: usize = 64;

/// Whether `p` lies inside (or on the edge of) the polygon `outline`
/// (even-odd rule; an edge counts as inside so a pin on a wall is taken).
pub fn polygon_contains(outline: &[Point], p: Point) -> bool {
    if outline.len() < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = outline.len() - 1;
    for i in 0..outline.len() {
        let (a, b) = (outline[i], outline[j]);
        // On the edge a–b (within a hair): inside.
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        let within = p.x >= a.x.min(b.x) - 1e-9
            && p.x <= a.x.max(b.x) + 1e-9
            && p.y >= a.y.min(b.y) - 1e-9
            && p.y <= a.y.max(b.y) + 1e-9;
        if cross.abs() < 1e-12 && within {
            return true;
        }
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Twice the signed area of a polygon (shoelace); near zero for a polygon
/// whose corners lie on one line.
fn doubled_area(outline: &[Point]) -> f64 {
    (0..outline.len())
        .map(|i| {
            let (a, b) = (outline[i], outline[(i + 1) % outline.len()]);
            a.x * b.y - b.x * a.y
        })
        .sum()
}

/// Why a room outline cannot be kept, in words, or `None` when it is a
/// real polygon on the plan: 3 to `MAX_OUTLINE_POINTS` corners, each within
/// the plan (0–1 across and down), enclosing some area.
pub fn outline_problem(outline: &[Point]) -> Option<String> {
    if outline.len() < 3 {
        return Some(format!("an outline needs at least 3 corners (it has {})", outline.len()));
    }
    if outline.len() > MAX_OUTLINE_POINTS {
        return Some(format!("an outline may have at most {MAX_OUTLINE_POINTS} corners (it has {})", outline.len()));
    }
    if let Some(p) = outline.iter().find(|p| !(p.x.is_finite() && p.y.is_finite() && p.is_normalised())) {
        return Some(format!("corner ({}, {}) lies outside the floor plan (0–1 across and down)", p.x, p.y));
    }
    if doubled_area(outline).abs() < 1e-8 {
        return Some("an outline must enclose an area (its corners lie on one line)".into());
    }
    None
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitType {
    pub id: UnitTypeId,
    pub name: I18nText,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub area_m2: Option<f64>,
    /// The floor-plan image (a path in fixtures, a content hash once imported).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub floor_plan: Option<String>,
    pub template: TemplateId,
    /// Rooms in walking order.
    pub rooms: Vec<Room>,
    /// Materials and fittings per element, with their supplier.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub materials: Vec<Material>,
}

impl UnitType {
    pub fn room(&self, id: &RoomId) -> Option<&Room> {
        self.rooms.iter().find(|r| &r.id == id)
    }
    pub fn material(&self, element: &ElementId) -> Option<&Material> {
        self.materials.iter().find(|m| &m.element == element)
    }
    /// The room whose outline on the floor plan contains `pin`, if any.
    pub fn room_at(&self, pin: Point) -> Option<&Room> {
        self.rooms.iter().find(|r| r.contains(pin))
    }
    /// Whether any room is outlined on the plan.
    pub fn has_outlines(&self) -> bool {
        self.rooms.iter().any(|r| !r.outline().is_empty())
    }
    /// Whether a pin at `pin` may be placed for a defect in `room`: within
    /// the plan, and within the room's outline when the room has one. A
    /// room without an outline (or a plan without outlines) takes a pin
    /// anywhere on the plan. Pins already placed are not checked again when
    /// outlines change: they are image coordinates and stay where they are.
    pub fn check_pin(&self, room: &RoomId, pin: Point) -> std::result::Result<(), String> {
        if !pin.is_normalised() {
            return Err("the floor-plan pin must lie within the plan".into());
        }
        match self.room(room) {
            Some(r) if !r.outline().is_empty() && !r.contains(pin) => Err(format!(
                "the pin must lie within the outline of {} on the floor plan",
                if r.name.en.is_empty() { &r.name.zh } else { &r.name.en }
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    pub name: I18nText,
    /// Where the room is on the unit type's floor plan, as a rectangle
    /// (the demo's plans; an `outline` drawn in the console replaces it).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub plan_area: Option<Rect>,
    /// The room's outline drawn on the floor-plan image: a polygon in
    /// normalised image coordinates (empty: not drawn).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outline: Vec<Point>,
}

impl Room {
    /// The room's outline as a polygon: the drawn one, else the rectangle's
    /// corners, else nothing.
    pub fn outline(&self) -> Vec<Point> {
        if !self.outline.is_empty() {
            self.outline.clone()
        } else {
            self.plan_area.map(|a| a.corners()).unwrap_or_default()
        }
    }
    pub fn contains(&self, p: Point) -> bool {
        polygon_contains(&self.outline(), p)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Material {
    pub element: ElementId,
    pub name: I18nText,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub spec: String,
    pub supplier: ContractorId,
    /// The supplier also installs it (cabinets, doors, windows, sanitary
    /// ware): defects on the element go to the supplier. When false (tiles,
    /// paint) the supplier only delivers and the laying trade is responsible.
    #[serde(default = "supplier_installs_default")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub supplier_installs: bool,
}

fn supplier_installs_default() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistTemplate {
    pub id: TemplateId,
    pub name: I18nText,
    /// Items in inspection order; each applies to every room of its kind.
    pub items: Vec<ChecklistItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub code: ItemCode,
    pub room_kind: RoomKind,
    pub element: ElementId,
    pub title: I18nText,
    /// 验收标准
    pub standard: I18nText,
    /// 验收方法
    pub method: I18nText,
    pub default_category: CategoryId,
    pub default_trade: TradeId,
    /// A retired item is no longer inspected but keeps its history.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub retired: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般
    Minor,
    /// 重要
    Major,
    /// 严重
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Severity::Minor, Severity::Major, Severity::Critical].into_iter().find(|v| v.as_str() == s)
    }
}

/// The three kinds of problem that are hardest to recover from, counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HardKind {
    /// 销售承诺类
    SalesPromise,
    /// 渗漏水类
    Leakage,
    /// 设计缺陷类
    DesignDefect,
}

impl HardKind {
    pub const ALL: [HardKind; 3] = [HardKind::SalesPromise, HardKind::Leakage, HardKind::DesignDefect];
    pub fn label(self) -> I18nText {
        match self {
            HardKind::SalesPromise => I18nText::new("销售承诺类", "Sales promise"),
            HardKind::Leakage => I18nText::new("渗漏水类", "Water leakage"),
            HardKind::DesignDefect => I18nText::new("设计缺陷类", "Design defect"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: CategoryId,
    pub name: I18nText,
    pub severity: Severity,
    /// Rectification deadline, counted from assignment (e.g. leakage 48 h).
    pub deadline_hours: u32,
    /// The deadline is a day, not an instant: it runs to the end of the
    /// project's local day on which `deadline_hours` run out ("7 days"
    /// means any time on the 7th day). Off: exactly `deadline_hours` later.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub deadline_end_of_day: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub hard_kind: Option<HardKind>,
    /// "Other" (其他): choosing it requires a written reason.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub is_other: bool,
    /// Notify the contractor at once rather than in the daily digest.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub urgent: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trade {
    pub id: TradeId,
    pub name: I18nText,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContractorKind {
    /// 施工单位: does the work of a trade on site.
    Contractor,
    /// 供应商: supplies and installs materials or fittings.
    Supplier,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub phone: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contractor {
    pub id: ContractorId,
    pub name: I18nText,
    pub kind: ContractorKind,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub trades: Vec<TradeId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub contact: Contact,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TradeAssignment {
    pub trade: TradeId,
    /// `None`: the whole project; `Some`: overrides it for one building.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub building: Option<BuildingId>,
    pub contractor: ContractorId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 客服中心 staff: owns the process.
    CsAdmin,
    Inspector,
    /// 工程师 of the project department.
    Engineer,
    Contractor,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    /// Where they come from: CS center, property management, engineering…
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub org: String,
    /// For contractor accounts: which contractor they act for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub contractor: Option<ContractorId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundPlan {
    pub no: RoundNo,
    pub start: NaiveDate,
    pub due: NaiveDate,
    /// Who inspects what in this round.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub assignments: Vec<RoundAssignment>,
    /// Content, standards to apply and materials to prepare, in words.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundAssignment {
    pub inspector: UserId,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub buildings: Vec<BuildingId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub units: Vec<UnitId>,
}

macro_rules! keyed {
    ($($ty:ty => $field:ident : $key:ty),* $(,)?) => {$(
        impl Keyed for $ty {
            type Key = $key;
            fn key(&self) -> $key { self.$field.clone() }
        }
    )*};
}

keyed!(
    Building => id: BuildingId,
    Unit => id: UnitId,
    UnitType => id: UnitTypeId,
    ChecklistTemplate => id: TemplateId,
    Category => id: CategoryId,
    Trade => id: TradeId,
    Contractor => id: ContractorId,
    Person => id: UserId,
    RoundPlan => no: RoundNo,
);

/// One line of a unit's checklist: an item in a room.
#[derive(Clone, Debug, PartialEq)]
pub struct ChecklistEntry<'a> {
    pub room: &'a Room,
    pub item: &'a ChecklistItem,
}

impl ChecklistEntry<'_> {
    pub fn key(&self) -> ResultKey {
        ResultKey { room: self.room.id.clone(), item: self.item.code.clone() }
    }
}

/// Identifies one checklist line of a unit: an item code in a room.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultKey {
    pub room: RoomId,
    pub item: ItemCode,
}

impl Project {
    /// The project's time zone; an unknown name (which `validate` refuses)
    /// reads as the default rather than losing the project.
    pub fn zone(&self) -> crate::time::Zone {
        crate::time::parse_zone(&self.time_zone).unwrap_or(crate::time::DEFAULT_ZONE)
    }

    pub fn unit_type_of(&self, unit: &UnitId) -> Option<&UnitType> {
        self.units.get(unit).and_then(|u| self.unit_types.get(&u.unit_type))
    }

    /// The checklist of a unit in walking order: each room of its unit type
    /// with every active template item of that room's kind.
    pub fn checklist(&self, unit: &UnitId) -> Vec<ChecklistEntry<'_>> {
        let Some(ut) = self.unit_type_of(unit) else {
            return Vec::new();
        };
        let Some(template) = self.templates.get(&ut.template) else {
            return Vec::new();
        };
        ut.rooms
            .iter()
            .flat_map(|room| {
                template
                    .items
                    .iter()
                    .filter(move |item| item.room_kind == room.kind && !item.retired)
                    .map(move |item| ChecklistEntry { room, item })
            })
            .collect()
    }

    /// The checklist item of a template by code.
    pub fn item(&self, unit: &UnitId, code: &ItemCode) -> Option<&ChecklistItem> {
        let ut = self.unit_type_of(unit)?;
        self.templates.get(&ut.template)?.items.iter().find(|i| &i.code == code)
    }

    /// Units of a building ordered by floor then door number.
    pub fn units_of(&self, building: &BuildingId) -> Vec<&Unit> {
        let mut units: Vec<&Unit> = self.units.values().filter(|u| &u.building == building).collect();
        units.sort_by(|a, b| a.floor.cmp(&b.floor).then_with(|| a.number.cmp(&b.number)));
        units
    }

    /// The units an inspector covers in a round.
    pub fn assigned_units(&self, round: RoundNo, inspector: &UserId) -> BTreeSet<UnitId> {
        let Some(plan) = self.rounds.get(&round) else {
            return BTreeSet::new();
        };
        let mut out = BTreeSet::new();
        for a in plan.assignments.iter().filter(|a| &a.inspector == inspector) {
            out.extend(a.units.iter().cloned());
            for b in &a.buildings {
                out.extend(self.units.values().filter(|u| &u.building == b).map(|u| u.id.clone()));
            }
        }
        out
    }

    /// Every problem with the project's references and plan, in words, or Ok.
    pub fn validate(&self) -> crate::Result<()> {
        let mut errs = Vec::new();
        let mut err = |s: String| errs.push(s);
        // Ids become parts of document keys ("round/room/item"): no slashes
        // and no control characters.
        let bad_id = |s: &str| s.is_empty() || s.contains('/') || s.chars().any(char::is_control);
        let ids = self
            .units
            .keys()
            .map(|i| ("unit", i.as_str()))
            .chain(self.buildings.keys().map(|i| ("building", i.as_str())));
        let ids = ids.chain(self.unit_types.values().flat_map(|ut| ut.rooms.iter().map(|r| ("room", r.id.as_str()))));
        let ids = ids
            .chain(self.templates.values().flat_map(|t| t.items.iter().map(|i| ("checklist item", i.code.as_str()))));
        for (what, id) in ids {
            if bad_id(id) {
                err(format!("{what} id {id:?} must be non-empty, without '/' or control characters"));
            }
        }
        if let Err(e) = crate::time::parse_zone(&self.time_zone) {
            err(format!("the project's {e}"));
        }
        for b in self.buildings.values() {
            if let Some(e) = &b.engineer {
                if self.people.get(e).is_none_or(|p| p.role != Role::Engineer) {
                    err(format!("building {}: engineer `{e}` is not a person with the engineer role", b.id));
                }
            }
        }
        for p in self.people.values() {
            if let Some(c) = &p.contractor {
                if !self.contractors.contains_key(c) {
                    err(format!("person {}: unknown contractor `{c}`", p.id));
                }
            }
        }
        for u in self.units.values() {
            if !self.buildings.contains_key(&u.building) {
                err(format!("unit {}: building `{}` does not exist", u.id, u.building));
            }
            if !self.unit_types.contains_key(&u.unit_type) {
                err(format!("unit {}: unit type `{}` does not exist", u.id, u.unit_type));
            }
            if let Some(b) = self.buildings.get(&u.building) {
                if u.floor < 1 || u.floor as u32 > b.floors {
                    err(format!("unit {}: floor {} is outside building {} (1..={})", u.id, u.floor, b.id, b.floors));
                }
            }
        }
        for ut in self.unit_types.values() {
            if !self.templates.contains_key(&ut.template) {
                err(format!("unit type {}: template `{}` does not exist", ut.id, ut.template));
            }
            let mut seen = BTreeSet::new();
            for r in &ut.rooms {
                if !seen.insert(&r.id) {
                    err(format!("unit type {}: room `{}` appears twice", ut.id, r.id));
                }
                if let Some(a) = r.plan_area {
                    let eps = 1e-9;
                    let inside = a.x >= 0.0
                        && a.y >= 0.0
                        && a.w > 0.0
                        && a.h > 0.0
                        && a.x + a.w <= 1.0 + eps
                        && a.y + a.h <= 1.0 + eps;
                    if !inside {
                        err(format!("unit type {}: room {} is outlined outside the floor plan (0–1)", ut.id, r.id));
                    }
                }
                if !r.outline.is_empty() {
                    if let Some(why) = outline_problem(&r.outline) {
                        err(format!("unit type {}: the outline of room {}: {why}", ut.id, r.id));
                    }
                }
            }
            for m in &ut.materials {
                if !self.contractors.contains_key(&m.supplier) {
                    err(format!(
                        "unit type {}: material `{}` names unknown supplier `{}`",
                        ut.id, m.element, m.supplier
                    ));
                }
            }
        }
        for t in self.templates.values() {
            let mut seen = BTreeSet::new();
            for i in &t.items {
                if !seen.insert(&i.code) {
                    err(format!("template {}: item `{}` appears twice", t.id, i.code));
                }
                if !self.categories.contains_key(&i.default_category) {
                    err(format!("template {}: item {} names unknown category `{}`", t.id, i.code, i.default_category));
                }
                if !self.trades.contains_key(&i.default_trade) {
                    err(format!("template {}: item {} names unknown trade `{}`", t.id, i.code, i.default_trade));
                }
            }
        }
        if self.categories.values().filter(|c| c.is_other).count() > 1 {
            err("more than one category is marked as \"other\"".into());
        }
        let mut assigned = BTreeSet::new();
        for a in &self.trade_assignments {
            if !assigned.insert((&a.building, &a.trade)) {
                let scope = a.building.as_ref().map_or("the project".to_owned(), |b| format!("building {b}"));
                err(format!("trade `{}` is assigned twice for {scope}", a.trade));
            }
            if !self.trades.contains_key(&a.trade) {
                err(format!("trade assignment: unknown trade `{}`", a.trade));
            }
            if !self.contractors.contains_key(&a.contractor) {
                err(format!("trade assignment for `{}`: unknown contractor `{}`", a.trade, a.contractor));
            }
            if let Some(b) = &a.building {
                if !self.buildings.contains_key(b) {
                    err(format!("trade assignment for `{}`: unknown building `{}`", a.trade, b));
                }
            }
        }
        for c in self.contractors.values() {
            for t in &c.trades {
                if !self.trades.contains_key(t) {
                    err(format!("contractor {}: unknown trade `{}`", c.id, t));
                }
            }
        }
        for (i, (no, plan)) in self.rounds.iter().enumerate() {
            if no.0 as usize != i + 1 {
                err(format!("rounds must be numbered 1, 2, 3, … without gaps; found round {no} in place {}", i + 1));
            }
            if plan.due < plan.start {
                err(format!("round {no}: due date {} is before its start {}", plan.due, plan.start));
            }
            if plan.due > self.handover_date {
                err(format!("round {no}: due date {} is after the handover date {}", plan.due, self.handover_date));
            }
            let mut inspectors = BTreeSet::new();
            for a in &plan.assignments {
                if !inspectors.insert(&a.inspector) {
                    err(format!(
                        "round {no}: inspector `{}` has more than one assignment; merge them into one",
                        a.inspector
                    ));
                }
                match self.people.get(&a.inspector) {
                    None => err(format!("round {no}: inspector `{}` is not a known person", a.inspector)),
                    Some(p) if p.role != Role::Inspector && p.role != Role::CsAdmin => {
                        err(format!("round {no}: `{}` is not an inspector", a.inspector))
                    }
                    Some(_) => {}
                }
                for b in &a.buildings {
                    if !self.buildings.contains_key(b) {
                        err(format!("round {no}: unknown building `{b}`"));
                    }
                }
                for u in &a.units {
                    if !self.units.contains_key(u) {
                        err(format!("round {no}: unknown unit `{u}`"));
                    }
                }
            }
        }
        let rounds: Vec<&RoundPlan> = self.rounds.values().collect();
        for w in rounds.windows(2) {
            if w[1].start < w[0].start {
                err(format!("round {} starts before round {}", w[1].no, w[0].no));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::InvalidProject(errs))
        }
    }

    /// Problems with the inspection plan as a whole (as opposed to broken
    /// references): too few rounds, or units no inspector covers.
    pub fn plan_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.rounds.len() < MIN_ROUNDS {
            w.push(format!("only {} round(s) planned; at least {MIN_ROUNDS} are required", self.rounds.len()));
        }
        for plan in self.rounds.values() {
            let covered: BTreeSet<UnitId> =
                plan.assignments.iter().flat_map(|a| self.assigned_units(plan.no, &a.inspector)).collect();
            let missing = self.units.len().saturating_sub(covered.len());
            if missing > 0 {
                w.push(format!("round {}: {missing} unit(s) have no inspector", plan.no));
            }
        }
        w
    }
}
