//! The round report (模拟验收报告): a project and a round (or cumulative to
//! date), computed from the read model by the core's `kpi::round_kpis`, laid
//! out as named tables that every format renders the same way: JSON (the
//! dashboard), CSV (one table), XLSX (one sheet per table, real numbers) and
//! a zh-CN PDF. Nothing here computes a rate: the numbers are the core's.

use crate::error::ApiError;
use crate::pdf::{Figure, PdfBuilder, BLACK, GREY};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use walkthrough_core::defect::{DefectStatus, Source};
use walkthrough_core::kpi::{
    self, Completion, DefectDetail, DefectRow, PhotoDetail, Rate, RecheckRow, ReportInput, RoundKpis, UnitRoundRow,
};
use walkthrough_core::model::{I18nText, Project};
use walkthrough_core::names::Shown;
use walkthrough_core::time::{self, Time};
use walkthrough_core::*;

/// What a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One round, as of its due date (or now, while it runs).
    Round,
    /// Everything to date: the latest round started, as of now.
    Cumulative,
}

/// How a column's values are meant: text, a count, a rate (a fraction
/// 0..=1, or null without a denominator) or another number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Count,
    Rate,
    Number,
    /// A day, written "YYYY-MM-DD" (a real date in the workbook).
    Date,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Column {
    pub key: String,
    pub zh: String,
    pub en: String,
    pub kind: Kind,
}

/// One table of the report. Cells are JSON values: strings for text,
/// numbers for counts, rates and numbers, null for "no value".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Table {
    pub key: String,
    pub zh: String,
    pub en: String,
    pub columns: Vec<Column>,
    #[schema(schema_with = cell_rows)]
    pub rows: Vec<Vec<Value>>,
}

/// The schema of a table's rows: each cell a string, a number or null.
fn cell_rows() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let cell = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Null));
    ArrayBuilder::new().items(ArrayBuilder::new().items(cell)).build()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoundReport {
    pub project: ProjectId,
    pub project_name: I18nText,
    pub scope: Scope,
    pub round: RoundNo,
    #[schema(value_type = String, format = DateTime)]
    pub as_of: Time,
    pub handover_date: chrono::NaiveDate,
    /// The project's IANA time zone: the report's days are local days there,
    /// and front ends show its instants in it.
    pub time_zone: String,
    /// Whole days from the report date to the handover date (negative after it).
    pub days_to_handover: i64,
    /// Those days as people read them ("31 days past handover", 交付已逾期 31 天).
    #[serde(default)]
    #[schema(required = true)]
    pub countdown: I18nText,
    /// The core's figures, as computed.
    pub kpis: RoundKpis,
    /// The previous round's figures, for comparison (round 2 onwards).
    pub previous: Option<RoundKpis>,
    /// Own-inspection defects found and still open at the end of each round
    /// started by the report date (the last one as of the report date).
    pub trend: Vec<TrendPoint>,
    /// The same week by week (local weeks, Monday to Sunday), from the
    /// first round's start to the report date. Issued before weeks were
    /// kept: empty.
    #[serde(default)]
    #[schema(required = true)]
    pub weeks: Vec<kpi::WeekPoint>,
    pub tables: Vec<Table>,
}

/// One round's point of the open-defects trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPoint {
    pub round: u32,
    #[schema(value_type = String, format = DateTime)]
    pub as_of: Time,
    pub found: u32,
    pub open: u32,
    pub overdue: u32,
}

impl RoundReport {
    pub fn zone(&self) -> time::Zone {
        time::parse_zone(&self.time_zone).unwrap_or(time::DEFAULT_ZONE)
    }
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.key == key)
    }
}

/// The rows a report reads.
pub struct Rows<'a> {
    pub defects: &'a [DefectRow],
    pub rechecks: &'a [RecheckRow],
    pub units: &'a [UnitRoundRow],
    /// The details of the defects accepted as risks (their unified answers).
    pub risks: &'a [DefectDetail],
}

/// The report date of `round`: the end of its due day, or `now` while the
/// round is still running.
pub fn round_as_of(project: &Project, round: RoundNo, now: Time) -> Result<Time, ApiError> {
    let plan = project
        .rounds
        .get(&round)
        .ok_or_else(|| ApiError::NotFound(format!("project {} has no round {}", project.id, round.0)))?;
    Ok(rules::round_closes_at(project, plan).min(now))
}

/// The latest round started by `as_of` (the first round before any).
pub fn current_round(project: &Project, as_of: Time) -> Result<RoundNo, ApiError> {
    let first = project.rounds.keys().next().copied();
    rules::current_round(project, as_of)
        .or(first)
        .ok_or_else(|| ApiError::Unprocessable(format!("project {} has no round plan yet", project.id)))
}

/// The report of `round` as of `as_of`.
pub fn build(project: &Project, rows: &Rows<'_>, scope: Scope, round: RoundNo, as_of: Time) -> RoundReport {
    let input = ReportInput {
        units_total: project.units.len() as u32,
        defects: rows.defects,
        rechecks: rows.rechecks,
        units: rows.units,
    };
    let kpis = kpi::round_kpis(&input, round, as_of);
    let previous = (round.0 > 1 && scope == Scope::Round)
        .then(|| RoundNo(round.0 - 1))
        .filter(|r| project.rounds.contains_key(r))
        .map(|r| {
            let at = project.rounds.get(&r).map_or(as_of, |p| rules::round_closes_at(project, p).min(as_of));
            kpi::round_kpis(&input, r, at)
        });
    let days_to_handover = rules::days_to_handover(project, as_of);
    let point = |no: RoundNo, at: Time, k: &RoundKpis| TrendPoint {
        round: no.0,
        as_of: at,
        found: k.summary.defects_found_in_round,
        open: k.summary.open_defects,
        overdue: own(k).overdue,
    };
    let trend = project
        .rounds
        .values()
        .filter(|p| p.no <= round && rules::round_opens_at(project, p) <= as_of)
        .map(|p| {
            let at = rules::round_closes_at(project, p).min(as_of);
            if p.no == round {
                point(p.no, as_of, &kpis)
            } else {
                point(p.no, at, &kpi::round_kpis(&input, p.no, at))
            }
        })
        .collect();
    let first_day = project.rounds.values().map(|p| p.start).min().unwrap_or_else(|| local_day(as_of, project.zone()));
    let weeks = kpi::weekly_trend(rows.defects, round, first_day, as_of, project.zone());
    let names = Names { project };
    let tables = vec![
        summary_table(&kpis, previous.as_ref(), days_to_handover),
        buildings_table(&names, &kpis),
        breakdown_table(
            &names,
            &kpis,
            scope,
            "categories",
            "问题分类",
            "By category",
            |b| &b.by_category,
            |n, k| n.category(k),
        ),
        breakdown_table(&names, &kpis, scope, "rooms", "房间", "By room", |b| &b.by_room_kind, |n, k| n.room_kind(k)),
        breakdown_table(&names, &kpis, scope, "trades", "专业", "By trade", |b| &b.by_trade, |n, k| n.trade(k)),
        breakdown_table(
            &names,
            &kpis,
            scope,
            "severity",
            "严重程度",
            "By severity",
            |b| &b.by_severity,
            |n, k| n.severity(k),
        ),
        hard_table(&kpis),
        rechecks_table(&kpis),
        completion_table(&names, &kpis, true),
        completion_table(&names, &kpis, false),
        at_risk_table(&names, rows.defects, &kpis),
        repeat_spots_table(&names, &kpis),
        risks_table(&names, rows, &kpis),
        weeks_table(&weeks),
    ];
    RoundReport {
        project: project.id.clone(),
        project_name: project.name.clone(),
        scope,
        round,
        as_of,
        handover_date: project.handover_date,
        time_zone: project.time_zone.clone(),
        days_to_handover,
        countdown: walkthrough_core::rules::handover_countdown(days_to_handover),
        kpis,
        previous,
        trend,
        weeks,
        tables,
    }
}

/// The open-defects trend week by week (own inspection).
fn weeks_table(weeks: &[kpi::WeekPoint]) -> Table {
    let rows = weeks
        .iter()
        .map(|w| {
            vec![
                json!(w.week_start.format("%Y-%m-%d").to_string()),
                json!(w.found),
                json!(w.closed),
                json!(w.open),
                json!(w.overdue),
            ]
        })
        .collect();
    Table {
        key: "weeks".into(),
        zh: "每周趋势（自查）".into(),
        en: "Week by week (own inspection)".into(),
        columns: vec![
            col("week", "周（起始日）", "Week of", Kind::Date),
            col("found", "本周发现", "Found in the week", Kind::Count),
            col("closed", "本周完结", "Closed in the week", Kind::Count),
            col("open", "周末未完结", "Open at the week's end", Kind::Count),
            col("overdue", "周末超期", "Overdue at the week's end", Kind::Count),
        ],
        rows,
    }
}

struct Names<'p> {
    project: &'p Project,
}

impl Names<'_> {
    fn building(&self, id: &str) -> I18nText {
        self.project.building_name(&BuildingId::new(id)).text()
    }
    fn category(&self, id: &str) -> I18nText {
        self.project.category_name(&CategoryId::new(id)).text()
    }
    fn trade(&self, id: &str) -> I18nText {
        self.project.trade_name(&TradeId::new(id)).text()
    }
    fn contractor(&self, id: &str) -> I18nText {
        self.project.contractor_name(&ContractorId::new(id)).text()
    }
    fn engineer(&self, id: &str) -> I18nText {
        if id == "(none)" {
            return I18nText::new("（未指定）", "(none)");
        }
        self.project.author_name(&UserId::new(id)).text()
    }
    fn unit_number(&self, unit: &UnitId) -> String {
        self.project.units.get(unit).map_or_else(|| unit.0.clone(), |u| u.number.clone())
    }
    fn room(&self, unit: &UnitId, room: &RoomId) -> I18nText {
        self.project.room_name(unit, room).text()
    }
    fn room_kind(&self, id: &str) -> I18nText {
        walkthrough_core::model::RoomKind::parse(id).map_or_else(|| plain(id), |k| k.name())
    }
    fn severity(&self, id: &str) -> I18nText {
        walkthrough_core::model::Severity::parse(id).map_or_else(|| plain(id), |s| s.name())
    }
}

fn plain(id: &str) -> I18nText {
    I18nText::new(id, id)
}

fn col(key: &str, zh: &str, en: &str, kind: Kind) -> Column {
    Column { key: key.into(), zh: zh.into(), en: en.into(), kind }
}

fn rate(r: Rate) -> Value {
    r.value().map_or(Value::Null, |v| json!(v))
}

const OWN: Source = Source::OwnInspection;
const OWNER: Source = Source::OwnerReported;

fn summary_table(k: &RoundKpis, prev: Option<&RoundKpis>, days: i64) -> Table {
    type Metric = (&'static str, &'static str, &'static str, Kind, fn(&RoundKpis) -> Value);
    let metrics: [Metric; 15] = [
        ("units_total", "房源总数", "Units", Kind::Count, |k| json!(k.summary.units_total)),
        ("units_inspected", "已查验户数", "Units inspected", Kind::Count, |k| json!(k.summary.units_inspected)),
        ("units_done", "查验完成户数", "Units done", Kind::Count, |k| {
            json!(k.summary.units_done + k.summary.units_done_with_open_defects)
        }),
        ("unit_pass_rate", "户合格率", "Unit pass rate", Kind::Rate, |k| rate(k.summary.unit_pass_rate)),
        ("item_pass_rate", "检查项合格率", "Item pass rate", Kind::Rate, |k| rate(k.summary.item_pass_rate)),
        ("defects_found", "本轮发现问题", "Defects found in the round", Kind::Count, |k| {
            json!(k.summary.defects_found_in_round)
        }),
        ("defects_per_100_units", "每百户问题数", "Defects per 100 units", Kind::Number, |k| {
            k.summary.defects_per_100_units.map_or(Value::Null, |v| json!((v * 10.0).round() / 10.0))
        }),
        ("defects_to_date", "累计问题", "Defects to date", Kind::Count, |k| json!(k.summary.defects_to_date)),
        (
            "open_defects",
            "截至统计日未完结问题（自查）",
            "Open at the report date (own inspection)",
            Kind::Count,
            |k| json!(k.summary.open_defects),
        ),
        (
            "overdue",
            "截至统计日超期未整改（自查）",
            "Overdue at the report date (own inspection)",
            Kind::Count,
            |k| json!(own(k).overdue),
        ),
        ("closed_rate", "完结率", "Completion rate", Kind::Rate, |k| rate(own(k).closed_rate)),
        ("timely_rate", "及时完结率", "Timely completion rate", Kind::Rate, |k| rate(own(k).timely_rate)),
        ("failed_twice_or_more", "两次及以上复验不合格", "Failed recheck twice or more", Kind::Count, |k| {
            json!(k.rechecks.get(&OWN).map_or(0, |r| r.failed_twice_or_more))
        }),
        ("owner_reported_in_round", "本轮业主报修", "Owner-reported in the round", Kind::Count, |k| {
            json!(k.summary.owner_reported_in_round)
        }),
        ("owner_reported_open", "业主报修未完结", "Owner-reported open", Kind::Count, |k| {
            json!(k.summary.owner_reported_open)
        }),
    ];
    let mut rows: Vec<Vec<Value>> = metrics
        .iter()
        .map(|(key, zh, en, _, f)| vec![json!(key), json!(zh), json!(en), f(k), prev.map_or(Value::Null, f)])
        .collect();
    rows.push(vec![
        json!("days_to_handover"),
        json!("距交付天数"),
        json!("Days to handover"),
        json!(days),
        Value::Null,
    ]);
    Table {
        key: "summary".into(),
        zh: "概况".into(),
        en: "Summary".into(),
        columns: vec![
            col("metric", "指标代码", "Metric", Kind::Text),
            col("name_zh", "指标", "Name (zh)", Kind::Text),
            col("name_en", "指标（英文）", "Name", Kind::Text),
            col("value", "本期", "This report", Kind::Number),
            col("previous", "上一轮", "Previous round", Kind::Number),
        ],
        rows,
    }
}

fn own(k: &RoundKpis) -> Completion {
    k.completion.get(&OWN).map(|c| c.overall.clone()).unwrap_or_default()
}

fn buildings_table(n: &Names<'_>, k: &RoundKpis) -> Table {
    let rows = k
        .by_building
        .iter()
        .map(|b| {
            let name = n.building(&b.building.0);
            vec![
                json!(b.building.0),
                json!(name.zh),
                json!(name.en),
                json!(b.units),
                json!(b.units_inspected),
                rate(b.unit_pass_rate),
                rate(b.item_pass_rate),
                json!(b.defects_found_in_round),
                json!(b.open_defects),
            ]
        })
        .collect();
    Table {
        key: "buildings".into(),
        zh: "楼栋".into(),
        en: "Buildings".into(),
        columns: vec![
            col("building", "楼栋代码", "Building", Kind::Text),
            col("name_zh", "楼栋", "Name (zh)", Kind::Text),
            col("name_en", "楼栋（英文）", "Name", Kind::Text),
            col("units", "户数", "Units", Kind::Count),
            col("units_inspected", "已查验", "Inspected", Kind::Count),
            col("unit_pass_rate", "户合格率", "Unit pass rate", Kind::Rate),
            col("item_pass_rate", "检查项合格率", "Item pass rate", Kind::Rate),
            col("defects_found", "本轮发现", "Found in round", Kind::Count),
            col("open_defects", "未完结", "Open", Kind::Count),
        ],
        rows,
    }
}

/// Defects found in the round (a cumulative report: found to date) by one
/// dimension, own inspection and owner-reported side by side (never added
/// together).
#[allow(clippy::too_many_arguments)]
fn breakdown_table(
    n: &Names<'_>,
    k: &RoundKpis,
    scope: Scope,
    key: &str,
    zh: &str,
    en: &str,
    pick: fn(&kpi::Breakdowns) -> &BTreeMap<String, u32>,
    name: impl Fn(&Names<'_>, &str) -> I18nText,
) -> Table {
    let empty = BTreeMap::new();
    let found = match scope {
        Scope::Round => &k.found,
        Scope::Cumulative => &k.found_to_date,
    };
    let own = found.get(&OWN).map_or(&empty, pick);
    let owner = found.get(&OWNER).map_or(&empty, pick);
    let mut keys: Vec<&String> = own.keys().chain(owner.keys()).collect();
    keys.sort();
    keys.dedup();
    // Largest first: what a reader looks for.
    keys.sort_by_key(|c| std::cmp::Reverse(own.get(*c).copied().unwrap_or(0)));
    let rows = keys
        .into_iter()
        .map(|c| {
            let label = name(n, c);
            vec![
                json!(c),
                json!(label.zh),
                json!(label.en),
                json!(own.get(c).copied().unwrap_or(0)),
                json!(owner.get(c).copied().unwrap_or(0)),
            ]
        })
        .collect();
    Table {
        key: key.into(),
        zh: match scope {
            Scope::Round => format!("本轮问题：按{zh}"),
            Scope::Cumulative => format!("累计问题：按{zh}"),
        },
        en: match scope {
            Scope::Round => format!("Defects found in the round: {}", en.to_lowercase()),
            Scope::Cumulative => format!("Defects found to date: {}", en.to_lowercase()),
        },
        columns: vec![
            col("key", "代码", "Code", Kind::Text),
            col("name_zh", zh, "Name (zh)", Kind::Text),
            col("name_en", &format!("{zh}（英文）"), "Name", Kind::Text),
            col("own", "自查", "Own inspection", Kind::Count),
            col("owner", "业主报修", "Owner-reported", Kind::Count),
        ],
        rows,
    }
}

fn hard_table(k: &RoundKpis) -> Table {
    let rows = walkthrough_core::model::HardKind::ALL
        .iter()
        .map(|kind| {
            let of = |s: Source| {
                k.hard_three.get(&s).and_then(|v| v.iter().find(|h| h.kind == Some(*kind)).cloned()).unwrap_or_default()
            };
            let (o, w) = (of(OWN), of(OWNER));
            let label = kind.label();
            vec![
                json!(serde_json::to_value(kind).unwrap_or(Value::Null)),
                json!(label.zh),
                json!(label.en),
                json!(o.found_in_round),
                json!(o.to_date),
                json!(o.open),
                json!(w.to_date),
                json!(w.open),
            ]
        })
        .collect();
    Table {
        key: "hard_three".into(),
        zh: "三类重点问题".into(),
        en: "The three hard categories".into(),
        columns: vec![
            col("kind", "代码", "Kind", Kind::Text),
            col("name_zh", "类别", "Name (zh)", Kind::Text),
            col("name_en", "类别（英文）", "Name", Kind::Text),
            col("found_in_round", "本轮发现", "Found in round", Kind::Count),
            col("to_date", "累计", "To date", Kind::Count),
            col("open", "未完结", "Open", Kind::Count),
            col("owner_to_date", "业主报修累计", "Owner-reported to date", Kind::Count),
            col("owner_open", "业主报修未完结", "Owner-reported open", Kind::Count),
        ],
        rows,
    }
}

fn rechecks_table(k: &RoundKpis) -> Table {
    let rows = [(OWN, "自查", "Own inspection"), (OWNER, "业主报修", "Owner-reported")]
        .into_iter()
        .map(|(s, zh, en)| {
            let r = k.rechecks.get(&s).cloned().unwrap_or_default();
            vec![
                json!(s.as_str()),
                json!(zh),
                json!(en),
                json!(r.due),
                json!(r.done),
                json!(r.passed),
                json!(r.failed_again),
                json!(r.failed_twice_or_more),
            ]
        })
        .collect();
    Table {
        key: "rechecks".into(),
        zh: "复验结果".into(),
        en: "Recheck outcomes".into(),
        columns: vec![
            col("source", "来源代码", "Source", Kind::Text),
            col("name_zh", "来源", "Name (zh)", Kind::Text),
            col("name_en", "来源（英文）", "Name", Kind::Text),
            col("due", "应复验", "Due", Kind::Count),
            col("done", "已复验", "Done", Kind::Count),
            col("passed", "通过", "Passed", Kind::Count),
            col("failed_again", "再次不合格", "Failed again", Kind::Count),
            col("failed_twice_or_more", "两次及以上不合格", "Failed twice or more", Kind::Count),
        ],
        rows,
    }
}

/// 完结率 and 及时完结率 per contractor (with the failed-twice count, held
/// against the contractor whose repair failed) or per responsible engineer.
fn completion_table(n: &Names<'_>, k: &RoundKpis, contractors: bool) -> Table {
    let tables = k.completion.get(&OWN).cloned().unwrap_or_default();
    let found = k.found.get(&OWN).map(|b| b.by_contractor.clone()).unwrap_or_default();
    let twice = k.rechecks.get(&OWN).map(|r| r.failed_twice_or_more_by_contractor.clone()).unwrap_or_default();
    let groups = if contractors { &tables.by_contractor } else { &tables.by_engineer };
    let mut keys: Vec<&String> = groups.keys().collect();
    if contractors {
        keys.extend(twice.keys().filter(|c| !groups.contains_key(*c)));
    }
    let empty = Completion::default();
    let rows = keys
        .into_iter()
        .map(|key| {
            let c = groups.get(key).unwrap_or(&empty);
            let label = if contractors { n.contractor(key) } else { n.engineer(key) };
            let mut row = vec![json!(key), json!(label.zh), json!(label.en)];
            if contractors {
                row.push(json!(found.get(key).copied().unwrap_or(0)));
            }
            row.extend([
                json!(c.total),
                json!(c.closed),
                rate(c.closed_rate),
                json!(c.due),
                json!(c.closed_in_time),
                rate(c.timely_rate),
                json!(c.open),
                json!(c.overdue),
            ]);
            if contractors {
                row.push(json!(twice.get(key).copied().unwrap_or(0)));
            }
            row
        })
        .collect();
    let (key, zh, en, who_zh, who_en) = if contractors {
        ("contractors", "施工单位整改情况", "Contractors", "施工单位", "Contractor")
    } else {
        ("engineers", "责任工程师整改情况", "Responsible engineers", "工程师", "Engineer")
    };
    let mut columns = vec![
        col(if contractors { "contractor" } else { "engineer" }, &format!("{who_zh}代码"), who_en, Kind::Text),
        col("name_zh", who_zh, "Name (zh)", Kind::Text),
        col("name_en", &format!("{who_zh}（英文）"), "Name", Kind::Text),
    ];
    if contractors {
        columns.push(col("found_in_round", "本轮发现", "Found in round", Kind::Count));
    }
    columns.extend([
        col("total", "累计问题", "Defects to date", Kind::Count),
        col("closed", "已完结", "Closed", Kind::Count),
        col("closed_rate", "完结率", "Completion rate", Kind::Rate),
        col("due", "已到期", "Due", Kind::Count),
        col("closed_in_time", "按期完结", "Closed in time", Kind::Count),
        col("timely_rate", "及时完结率", "Timely completion rate", Kind::Rate),
        col("open", "未完结", "Open", Kind::Count),
        col("overdue", "超期", "Overdue", Kind::Count),
    ]);
    if contractors {
        columns.push(col("failed_twice_or_more", "两次及以上复验不合格", "Failed twice or more", Kind::Count));
    }
    Table { key: key.into(), zh: zh.into(), en: en.into(), columns, rows }
}

/// Units with open own-inspection defects at the report date, most first:
/// the units at risk at handover.
fn at_risk_table(n: &Names<'_>, defects: &[DefectRow], k: &RoundKpis) -> Table {
    let mut units: BTreeMap<&UnitId, (u32, u32, &BuildingId)> = BTreeMap::new();
    for r in defects.iter().filter(|r| live(r, k.round, k.as_of) && r.source == OWN && is_open(r, k.as_of)) {
        let e = units.entry(&r.unit).or_insert((0, 0, &r.building));
        e.0 += 1;
        e.1 += u32::from(r.overdue_at(k.as_of));
    }
    let mut list: Vec<_> = units.into_iter().collect();
    list.sort_by_key(|(u, (open, overdue, _))| (std::cmp::Reverse(*overdue), std::cmp::Reverse(*open), *u));
    let rows = list
        .into_iter()
        .map(|(u, (open, overdue, b))| {
            let number = n.project.units.get(u).map(|x| x.number.clone()).unwrap_or_default();
            vec![json!(u.0), json!(n.building(&b.0).zh), json!(number), json!(open), json!(overdue)]
        })
        .collect();
    Table {
        key: "units_at_risk".into(),
        zh: "有未完结问题的房源".into(),
        en: "Units with open defects".into(),
        columns: vec![
            col("unit", "房源代码", "Unit", Kind::Text),
            col("building", "楼栋", "Building", Kind::Text),
            col("number", "房号", "Number", Kind::Text),
            col("open", "未完结", "Open", Kind::Count),
            col("overdue", "超期", "Overdue", Kind::Count),
        ],
        rows,
    }
}

/// Spots where defects repeat (two or more defects, or one failed twice or
/// more): where a repair does not hold.
fn repeat_spots_table(n: &Names<'_>, k: &RoundKpis) -> Table {
    let mut spots: Vec<&walkthrough_core::rules::RepeatSpot> = k.repeat_spots.iter().collect();
    spots.sort_by_key(|s| (std::cmp::Reverse(s.failed_rechecks), std::cmp::Reverse(s.defects), &s.unit));
    let rows = spots
        .into_iter()
        .map(|s| {
            let building = n.project.units.get(&s.unit).map(|u| n.building(&u.building.0).zh).unwrap_or_default();
            vec![
                json!(s.unit.0),
                json!(building),
                json!(n.unit_number(&s.unit)),
                json!(n.room(&s.unit, &s.room).zh),
                json!(n.project.element_name(&s.unit, &s.element).zh),
                json!(s.defects),
                json!(s.failed_rechecks),
            ]
        })
        .collect();
    Table {
        key: "repeat_spots".into(),
        zh: "重复问题部位".into(),
        en: "Repeat spots".into(),
        columns: vec![
            col("unit", "房源代码", "Unit", Kind::Text),
            col("building", "楼栋", "Building", Kind::Text),
            col("number", "房号", "Number", Kind::Text),
            col("room", "房间", "Room", Kind::Text),
            col("element", "部位", "Element", Kind::Text),
            col("defects", "问题数", "Defects", Kind::Count),
            col("failed_rechecks", "复验不合格次数", "Failed rechecks", Kind::Count),
        ],
        rows,
    }
}

/// Defects the CS center accepted as risks by the report date, with the
/// unified answer (统一口径) for owners and the contingency plan.
fn risks_table(n: &Names<'_>, rows: &Rows<'_>, k: &RoundKpis) -> Table {
    let details: HashMap<DefectId, &DefectDetail> = rows.risks.iter().map(|d| (d.id, d)).collect();
    let rows = rows
        .defects
        .iter()
        .filter(|r| live(r, k.round, k.as_of))
        .filter(|r| r.status == DefectStatus::AcceptedRisk && r.closed_at.is_some_and(|t| t <= k.as_of))
        .map(|r| {
            let risk = details.get(&r.id).and_then(|d| d.risk.as_ref());
            let d = details.get(&r.id);
            vec![
                json!(r.unit.0),
                json!(n.building(&r.building.0).zh),
                json!(n.unit_number(&r.unit)),
                json!(n.room(&r.unit, &r.room).zh),
                json!(n.category(&r.category.0).zh),
                json!(d.map_or("", |d| d.description.as_str())),
                json!(risk.map_or("", |x| x.unified_answer.zh.as_str())),
                json!(risk.map_or("", |x| x.unified_answer.en.as_str())),
                json!(risk.map_or("", |x| x.contingency_plan.as_str())),
                r.closed_at.map_or(Value::Null, |t| json!(local(t, n.project.zone()))),
            ]
        })
        .collect();
    Table {
        key: "accepted_risks".into(),
        zh: "不整改风险及统一口径".into(),
        en: "Accepted risks and unified answers".into(),
        columns: vec![
            col("unit", "房源代码", "Unit", Kind::Text),
            col("building", "楼栋", "Building", Kind::Text),
            col("number", "房号", "Number", Kind::Text),
            col("room", "房间", "Room", Kind::Text),
            col("category", "问题分类", "Category", Kind::Text),
            col("description", "问题描述", "Description", Kind::Text),
            col("answer_zh", "统一口径", "Unified answer (zh)", Kind::Text),
            col("answer_en", "统一口径（英文）", "Unified answer", Kind::Text),
            col("plan", "应对预案", "Contingency plan", Kind::Text),
            col("accepted_at", "确认日期", "Accepted on", Kind::Date),
        ],
        rows,
    }
}

/// Counted in a report of `round` as of `as_of` (the core's rule).
fn live(r: &DefectRow, round: RoundNo, as_of: Time) -> bool {
    r.found_round <= round && r.found_at <= as_of && r.withdrawn_at.is_none_or(|t| t > as_of)
}

fn is_open(r: &DefectRow, as_of: Time) -> bool {
    r.closed_at.is_none_or(|t| t > as_of)
}

/// Which defects a drill-down lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Drill {
    /// Repairs by the contractor failed recheck twice or more.
    FailedTwice,
    Open,
    Overdue,
    All,
}

/// One defect behind a number of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrillItem {
    pub id: DefectId,
    pub unit: UnitId,
    /// The unit as people say it (building and door number).
    pub unit_name: Shown,
    pub building: Shown,
    pub room: RoomId,
    pub room_name: Shown,
    pub category: I18nText,
    pub status: DefectStatus,
    pub contractor: Option<ContractorId>,
    pub contractor_name: Option<Shown>,
    pub found_round: RoundNo,
    #[schema(value_type = String, format = DateTime)]
    pub found_at: Time,
    /// Failed rechecks counted by the report date (of the contractor's
    /// repairs when the drill-down names a contractor).
    pub failed_rechecks: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_deadline: Option<Time>,
    pub overdue: bool,
}

/// The own-inspection defects behind a number: those of `contractor` (for
/// `FailedTwice`, those whose repairs *by* it failed twice or more, as the
/// core counts them) in the report of `round` as of `as_of`.
pub fn drill(
    project: &Project,
    rows: &Rows<'_>,
    round: RoundNo,
    as_of: Time,
    contractor: Option<&str>,
    which: Drill,
) -> Vec<DrillItem> {
    let mut failures: HashMap<(DefectId, Option<&ContractorId>), u32> = HashMap::new();
    let mut total: HashMap<DefectId, u32> = HashMap::new();
    for rc in rows.rechecks.iter().filter(|rc| rc.round <= round && rc.at <= as_of && !rc.passed) {
        *failures.entry((rc.defect, rc.contractor.as_ref())).or_default() += 1;
        *total.entry(rc.defect).or_default() += 1;
    }
    let key_of = |c: Option<&ContractorId>| c.map_or(kpi::UNASSIGNED, |c| c.as_str()).to_owned();
    let names = Names { project };
    let mut out: Vec<DrillItem> = rows
        .defects
        .iter()
        .filter(|r| live(r, round, as_of) && r.source == OWN)
        .filter_map(|r| {
            let failed = match (which, contractor) {
                (Drill::FailedTwice, Some(c)) => {
                    failures.iter().filter(|((d, by), _)| *d == r.id && key_of(*by) == c).map(|(_, n)| *n).sum::<u32>()
                }
                (_, Some(c)) if key_of(r.contractor.as_ref()) == c => {
                    failures.get(&(r.id, r.contractor.as_ref())).copied().unwrap_or(0)
                }
                (_, Some(_)) => return None,
                (_, None) => total.get(&r.id).copied().unwrap_or(0),
            };
            let keep = match which {
                Drill::FailedTwice => failed >= 2,
                Drill::Open => is_open(r, as_of),
                Drill::Overdue => r.overdue_at(as_of),
                Drill::All => true,
            };
            keep.then(|| DrillItem {
                id: r.id,
                unit: r.unit.clone(),
                unit_name: project.unit_name(&r.unit),
                building: project.building_name(&r.building),
                room: r.room.clone(),
                room_name: project.room_name(&r.unit, &r.room),
                category: names.category(&r.category.0),
                status: r.status,
                contractor: r.contractor.clone(),
                contractor_name: r.contractor.as_ref().map(|c| project.contractor_name(c)),
                found_round: r.found_round,
                found_at: r.found_at,
                failed_rechecks: failed,
                first_deadline: r.first_deadline,
                overdue: r.overdue_at(as_of),
            })
        })
        .collect();
    out.sort_by(|a, b| b.failed_rechecks.cmp(&a.failed_rechecks).then(a.unit.cmp(&b.unit)).then(a.id.cmp(&b.id)));
    out
}

// ---------------------------------------------------------------- formats

fn cell_text(v: &Value, kind: Kind) -> String {
    match (v, kind) {
        (Value::Null, _) => String::new(),
        (Value::String(s), _) => s.clone(),
        (Value::Number(n), Kind::Rate) => n.as_f64().map(|f| format!("{:.1}%", f * 100.0)).unwrap_or_default(),
        (Value::Number(n), _) => n.to_string(),
        (other, _) => other.to_string(),
    }
}

/// A text cell as a spreadsheet will not run it: text starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so
/// it gets a leading `'` (OWASP's advice). Numbers are written as numbers
/// elsewhere and never pass through here.
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// One table as CSV: a header of column keys, rates as fractions (real
/// numbers, not "75.0%"), no value as an empty field; text that a
/// spreadsheet would take for a formula is neutralised (`csv_text`).
pub fn csv(table: &Table) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(table.columns.iter().map(|c| csv_text(&c.key).into_owned())).map_err(internal)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|v| match v {
            Value::Null => String::new(),
            Value::String(s) => csv_text(s).into_owned(),
            other => other.to_string(),
        }))
        .map_err(internal)?;
    }
    w.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}

/// The workbook: one sheet per table (named by its key), a zh-CN header
/// row, counts and numbers as numbers, rates as numbers formatted as
/// percentages, the report date as a date.
pub fn xlsx(report: &RoundReport) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.into());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    {
        let about = wb.add_worksheet().set_name("report").map_err(err)?;
        about.write_string_with_format(0, 0, "项目", &bold).map_err(err)?;
        about.write_string(0, 1, &report.project_name.zh).map_err(err)?;
        about.write_string_with_format(1, 0, "轮次", &bold).map_err(err)?;
        about.write_number(1, 1, f64::from(report.round.0)).map_err(err)?;
        about.write_string_with_format(2, 0, "范围", &bold).map_err(err)?;
        about.write_string(2, 1, scope_zh(report.scope)).map_err(err)?;
        about.write_string_with_format(3, 0, "统计截止", &bold).map_err(err)?;
        let d = time::local_date(report.as_of, report.zone());
        let day = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string()).map_err(err)?;
        about.write_datetime_with_format(3, 1, &day, &date).map_err(err)?;
        about.write_string_with_format(4, 0, "交付日期", &bold).map_err(err)?;
        let h = ExcelDateTime::parse_from_str(&report.handover_date.format("%Y-%m-%d").to_string()).map_err(err)?;
        about.write_datetime_with_format(4, 1, &h, &date).map_err(err)?;
        about.set_column_width(0, 12).map_err(err)?;
        about.set_column_width(1, 30).map_err(err)?;
    }
    for t in &report.tables {
        let ws = wb.add_worksheet().set_name(&t.key).map_err(err)?;
        for (c, column) in t.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, &column.zh, &bold).map_err(err)?;
            ws.set_column_width(c as u16, if column.kind == Kind::Text { 20 } else { 12 }).map_err(err)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let kind = t.columns.get(c).map_or(Kind::Text, |c| c.kind);
                let c = c as u16;
                match v {
                    Value::Null => {}
                    Value::Number(n) => {
                        let f = n.as_f64().unwrap_or_default();
                        // The summary's value column mixes kinds: rates are its rate rows.
                        let is_rate = kind == Kind::Rate
                            || (t.key == "summary" && row.first().and_then(Value::as_str).is_some_and(summary_is_rate));
                        if is_rate {
                            ws.write_number_with_format(r, c, f, &pct).map_err(err)?;
                        } else {
                            ws.write_number(r, c, f).map_err(err)?;
                        }
                    }
                    Value::String(s) if kind == Kind::Date => {
                        let d = ExcelDateTime::parse_from_str(s).map_err(err)?;
                        ws.write_datetime_with_format(r, c, &d, &date).map_err(err)?;
                    }
                    Value::String(s) => {
                        ws.write_string(r, c, s).map_err(err)?;
                    }
                    other => {
                        ws.write_string(r, c, other.to_string()).map_err(err)?;
                    }
                }
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

fn summary_is_rate(metric: &str) -> bool {
    matches!(metric, "unit_pass_rate" | "item_pass_rate" | "closed_rate" | "timely_rate")
}

fn scope_zh(s: Scope) -> &'static str {
    match s {
        Scope::Round => "本轮",
        Scope::Cumulative => "累计至今",
    }
}

/// An instant's local day in the project's zone (the report date is the day
/// the figures are counted to, the same day `days_to_handover` counts from).
fn local(t: Time, zone: time::Zone) -> String {
    time::format_local_date(t, zone)
}

/// One defect in the report's appendices.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AppendixItem {
    pub id: DefectId,
    pub unit: UnitId,
    pub building: String,
    pub unit_number: String,
    pub room: String,
    pub category: String,
    pub spot: String,
    pub description: String,
    pub status: DefectStatus,
    /// Open at the report date.
    pub open: bool,
    pub overdue: bool,
    pub contractor: Option<ContractorId>,
    pub contractor_name: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<Time>,
    pub failed_rechecks: u32,
    pub photos: Vec<PhotoDetail>,
    /// Where on the floor plan, and the unit type's plan image (a blob).
    pub pin: Option<walkthrough_core::model::Point>,
    pub plan: Option<PhotoHash>,
}

/// What the appendices list: the report's own-inspection defects found in
/// its round or still open at its date, by building, unit and room.
pub fn appendix(
    project: &Project,
    defects: &[DefectRow],
    details: &[DefectDetail],
    report: &RoundReport,
) -> Vec<AppendixItem> {
    let as_of = report.as_of;
    let by_id: HashMap<DefectId, &DefectDetail> = details.iter().map(|d| (d.id, d)).collect();
    let n = Names { project };
    let mut out: Vec<AppendixItem> = defects
        .iter()
        .filter(|r| in_appendix(r, report))
        .map(|r| {
            let d = by_id.get(&r.id);
            let key = r.contractor.as_ref().map_or(kpi::UNASSIGNED, |c| c.as_str());
            AppendixItem {
                id: r.id,
                unit: r.unit.clone(),
                building: n.building(&r.building.0).zh,
                unit_number: n.unit_number(&r.unit),
                room: n.room(&r.unit, &r.room).zh,
                category: n.category(&r.category.0).zh,
                spot: d.map(|d| d.spot.clone()).unwrap_or_default(),
                description: d.map(|d| d.description.clone()).unwrap_or_default(),
                status: r.status,
                open: is_open(r, as_of),
                overdue: r.overdue_at(as_of),
                contractor: r.contractor.clone(),
                contractor_name: n.contractor(key).zh,
                deadline: r.current_deadline,
                failed_rechecks: r.failed_rechecks,
                photos: d.map(|d| d.photos.clone()).unwrap_or_default(),
                pin: d.and_then(|d| d.pin),
                plan: crate::contractor::plan_image(project, &r.unit),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.building, &a.unit, &a.room, a.id).cmp(&(&b.building, &b.unit, &b.room, b.id)));
    out
}

/// Whether the appendices list `r`: own inspection, found in the report's
/// round (any round for the cumulative report) or still open at its date.
fn in_appendix(r: &DefectRow, report: &RoundReport) -> bool {
    let (round, as_of) = (report.round, report.as_of);
    let in_round = report.scope == Scope::Cumulative || r.found_round == round;
    live(r, round, as_of) && r.source == OWN && (in_round || is_open(r, as_of))
}

/// What the PDF prints beyond the tables: the appendices, with photos (up
/// to `max_photos`, from `photo`) or without.
pub struct PdfExtras<'a> {
    pub appendix: &'a [AppendixItem],
    pub photos: bool,
    pub max_photos: usize,
    /// The printing copy of a photo.
    pub photo: &'a dyn Fn(&PhotoHash) -> Option<Vec<u8>>,
    /// Told (stage, done, total) as the PDF is laid out.
    pub progress: &'a dyn Fn(&str, u64, u64),
}

/// How many photos the printed report holds unless told otherwise.
pub const DEFAULT_MAX_PHOTOS: usize = 1000;

fn status_text(item: &AppendixItem) -> String {
    let base = if item.open { crate::sheet::status_zh(item.status) } else { "已完结" };
    if item.overdue {
        format!("{base}（超期）")
    } else {
        base.to_owned()
    }
}

/// The days to handover as the PDF prints them (逾期, never a negative count).
fn countdown(days: i64) -> String {
    walkthrough_core::rules::handover_countdown(days).zh
}

fn day(t: Option<Time>, zone: time::Zone) -> String {
    t.map_or_else(|| "—".to_owned(), |t| local(t, zone))
}

/// The printable report in zh-CN: a title block, charts, every table with
/// its zh-CN heading, then the appendices (each contractor's open items;
/// each unit's defects, with their photos and marks), numbered pages.
pub fn pdf(report: &RoundReport, extras: Option<&PdfExtras<'_>>) -> Result<Vec<u8>, ApiError> {
    use crate::pdf::{BAR, RED};
    let mut pdf = PdfBuilder::new().map_err(|e| ApiError::Internal(e.into()))?;
    let title = match report.scope {
        Scope::Round => format!("模拟验收报告（第 {} 轮）", report.round.0),
        Scope::Cumulative => format!("模拟验收报告（累计至第 {} 轮）", report.round.0),
    };
    pdf.footer = format!("{} · {title}", report.project_name.zh);
    pdf.heading(&title, 18.0);
    pdf.text(&format!("项目：{}", report.project_name.zh), 11.0, BLACK, 0.0);
    let zone = report.zone();
    pdf.text(
        &format!("统计截止：{}    交付日期：{}", time::format_local(report.as_of, zone), report.handover_date),
        11.0,
        BLACK,
        0.0,
    );
    pdf.text(&format!("时区：{}（日期均为当地日期）", zone.name()), 9.0, GREY, 0.0);
    pdf.text(&countdown(report.days_to_handover), 11.0, BLACK, 0.0);
    pdf.text("自查问题与业主报修分开统计；比率按核心 KPI 定义计算。", 9.0, GREY, 0.0);
    pdf.rule(GREY);

    // Charts: where a reader would rather look than read.
    let bars_of = |key: &str, value: &str, top: usize| -> Vec<(String, f64, String)> {
        let Some(t) = report.table(key) else { return Vec::new() };
        let (Some(name), Some(v)) =
            (t.columns.iter().position(|c| c.key == "name_zh"), t.columns.iter().position(|c| c.key == value))
        else {
            return Vec::new();
        };
        let mut bars: Vec<(String, f64, String)> = t
            .rows
            .iter()
            .map(|r| {
                let f = r[v].as_f64().unwrap_or(0.0);
                (r[name].as_str().unwrap_or_default().to_owned(), f, cell_text(&r[v], Kind::Count))
            })
            .filter(|b| b.1 > 0.0)
            .collect();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1));
        bars.truncate(top);
        bars
    };
    // The cumulative report says so over each chart: its categories count
    // every defect found to date (as its table says), the open defects are
    // all those open to date.
    let (charts, found, open, trend_title) = match report.scope {
        Scope::Round => (
            "图表".to_owned(),
            "本轮问题：按问题分类（自查）".to_owned(),
            "未完结问题：按施工单位".to_owned(),
            "未完结问题趋势（各轮末）".to_owned(),
        ),
        Scope::Cumulative => (
            format!("图表（累计至第 {} 轮）", report.round.0),
            format!("累计报告 · 至第 {} 轮累计发现问题：按问题分类（自查）", report.round.0),
            "累计报告 · 至今未完结问题：按施工单位".to_owned(),
            "累计报告 · 未完结问题趋势（各轮末）".to_owned(),
        ),
    };
    pdf.heading(&charts, 13.0);
    pdf.text(&found, 10.0, BLACK, 0.0);
    pdf.bar_chart(&bars_of("categories", "own", 12), BAR);
    pdf.text(&open, 10.0, BLACK, 0.0);
    pdf.bar_chart(&bars_of("contractors", "open", 12), BAR);
    pdf.text(&trend_title, 10.0, BLACK, 0.0);
    let trend: Vec<(String, f64, String)> = report
        .trend
        .iter()
        .map(|p| {
            (
                format!("第 {} 轮（{}）", p.round, local(p.as_of, zone)),
                f64::from(p.open),
                format!("{} 项（超期 {}）", p.open, p.overdue),
            )
        })
        .collect();
    pdf.bar_chart(&trend, RED);

    for t in &report.tables {
        pdf.heading(&t.zh, 13.0);
        // Code columns are for machines; the PDF shows names.
        let shown: Vec<usize> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let has = |key: &str| t.columns.iter().any(|o| o.key == key);
                let hidden = matches!(c.key.as_str(), "name_en" | "answer_en" | "metric")
                    || (c.kind == Kind::Text && has("name_zh") && c.key != "name_zh")
                    || (c.key == "unit" && has("number"));
                !hidden
            })
            .map(|(i, _)| i)
            .collect();
        if t.rows.is_empty() {
            pdf.text("（无）", 9.5, BLACK, 0.0);
            pdf.space(4.0);
            continue;
        }
        let right: Vec<bool> = shown.iter().map(|i| !matches!(t.columns[*i].kind, Kind::Text | Kind::Date)).collect();
        let header: Vec<String> = shown.iter().map(|i| t.columns[*i].zh.clone()).collect();
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|row| {
                let is_summary_rate =
                    t.key == "summary" && row.first().and_then(Value::as_str).is_some_and(summary_is_rate);
                shown
                    .iter()
                    .map(|i| {
                        let kind = if is_summary_rate && t.columns[*i].kind == Kind::Number {
                            Kind::Rate
                        } else {
                            t.columns[*i].kind
                        };
                        let days = t.key == "summary" && row[0] == "days_to_handover" && t.columns[*i].key == "value";
                        let s = match row[*i].as_i64() {
                            Some(n) if days => countdown(n),
                            _ => cell_text(&row[*i], kind),
                        };
                        if s.is_empty() {
                            "—".to_owned()
                        } else {
                            s
                        }
                    })
                    .collect()
            })
            .collect();
        pdf.table(&right, &header, &rows);
        pdf.space(4.0);
    }

    if let Some(x) = extras {
        appendices(&mut pdf, x, zone);
    }
    if let Some(x) = extras {
        (x.progress)("writing", 0, 1);
    }
    pdf.finish().map_err(|e| ApiError::Internal(e.into()))
}

/// Appendix 1: each contractor's open items, overdue first. Appendix 2:
/// each unit's defects, with their photos and marks.
fn appendices(pdf: &mut PdfBuilder, x: &PdfExtras<'_>, zone: time::Zone) {
    use crate::pdf::RED;
    pdf.new_page();
    pdf.heading("附录一　施工单位未完结问题清单", 15.0);
    let mut by_contractor: BTreeMap<&str, Vec<&AppendixItem>> = BTreeMap::new();
    for item in x.appendix.iter().filter(|i| i.open) {
        by_contractor.entry(item.contractor_name.as_str()).or_default().push(item);
    }
    if by_contractor.is_empty() {
        pdf.text("（无未完结问题）", 9.5, BLACK, 0.0);
    }
    let text = [false; 7];
    let header: Vec<String> =
        ["楼栋", "房号", "房间", "问题分类", "问题描述", "整改期限", "状态"].map(String::from).to_vec();
    for (name, mut items) in by_contractor {
        items.sort_by_key(|i| (!i.overdue, i.deadline, &i.unit));
        let overdue = items.iter().filter(|i| i.overdue).count();
        pdf.heading(&format!("{name}：未完结 {} 项，其中超期 {overdue} 项", items.len()), 11.0);
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                vec![
                    i.building.clone(),
                    i.unit_number.clone(),
                    i.room.clone(),
                    i.category.clone(),
                    i.description.clone(),
                    day(i.deadline, zone),
                    status_text(i),
                ]
            })
            .collect();
        pdf.table(&text, &header, &rows);
    }

    pdf.new_page();
    pdf.heading("附录二　分户问题明细", 15.0);
    if x.appendix.is_empty() {
        pdf.text("（无）", 9.5, BLACK, 0.0);
    }
    let total = x.appendix.len() as u64;
    let photos_total: usize = x.appendix.iter().map(|i| i.photos.len()).sum();
    let mut printed = 0usize;
    let numbers = [true, false, false, false, false, false, false, true];
    let header: Vec<String> =
        ["#", "房间", "问题分类", "问题描述 / 部位", "施工单位", "整改期限", "状态", "复验不合格"]
            .map(String::from)
            .to_vec();
    let mut done = 0u64;
    let mut i = 0;
    while i < x.appendix.len() {
        let unit = &x.appendix[i].unit;
        let end = x.appendix[i..].iter().position(|a| &a.unit != unit).map_or(x.appendix.len(), |p| i + p);
        let items = &x.appendix[i..end];
        let first = &items[0];
        pdf.heading(&format!("{} {} 室　共 {} 项", first.building, first.unit_number, items.len()), 11.0);
        let rows: Vec<Vec<String>> = items
            .iter()
            .enumerate()
            .map(|(n, a)| {
                let words = if a.spot.is_empty() {
                    a.description.clone()
                } else {
                    format!("{}（{}）", a.description, a.spot)
                };
                vec![
                    (n + 1).to_string(),
                    a.room.clone(),
                    a.category.clone(),
                    words,
                    a.contractor_name.clone(),
                    day(a.deadline, zone),
                    status_text(a),
                    a.failed_rechecks.to_string(),
                ]
            })
            .collect();
        pdf.table(&numbers, &header, &rows);
        if x.photos {
            // The unit's floor plan with every pin of its defects, first.
            let pins: Vec<walkthrough_core::model::Point> = items.iter().filter_map(|a| a.pin).collect();
            if let Some(plan) = first.plan.as_ref().filter(|_| !pins.is_empty()).and_then(|h| (x.photo)(h)) {
                let pinned: Vec<String> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.pin.is_some())
                    .map(|(n, _)| format!("#{}", n + 1))
                    .collect();
                let caption = format!("户型图位置 {}", pinned.join(" "));
                pdf.figures(&[Figure { bytes: &plan, marks: &[], pins: &pins, caption: &caption }], 160.0, 120.0);
            }
            let mut shots: Vec<(Vec<u8>, &[walkthrough_core::defect::Shape], String)> = Vec::new();
            for (n, a) in items.iter().enumerate() {
                for p in &a.photos {
                    if printed >= x.max_photos {
                        break;
                    }
                    if let Some(bytes) = (x.photo)(&p.hash) {
                        printed += 1;
                        shots.push((bytes, &p.marks, format!("#{} {}", n + 1, a.room)));
                    }
                }
            }
            let view: Vec<(&[u8], &[walkthrough_core::defect::Shape], &str)> =
                shots.iter().map(|(b, m, c)| (b.as_slice(), *m, c.as_str())).collect();
            pdf.captioned_photos(&view, 120.0, 90.0);
        }
        done += items.len() as u64;
        (x.progress)(if x.photos { "photos" } else { "appendix" }, done, total);
        i = end;
    }
    if x.photos && photos_total > printed {
        pdf.space(6.0);
        pdf.text(
            &format!("本报告收录照片 {printed} 张（共 {photos_total} 张）；其余照片见客服中心看板中的问题详情。"),
            9.0,
            RED,
            0.0,
        );
    }
}

// ---------------------------------------------------------------- endpoints

use crate::auth::AuthUser;
use crate::{blocking, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use walkthrough_core::model::Role;

/// The CS center (its company's projects) and engineers (their assigned
/// projects) read reports; inspectors and contractors do not.
pub fn require_reader(user: &AuthUser, project: &ProjectId) -> Result<(), ApiError> {
    match user.user.role {
        Role::CsAdmin | Role::Engineer => {}
        Role::Inspector | Role::Contractor => {
            return Err(ApiError::Forbidden("reports are for the CS center and the project department".into()))
        }
    }
    if !user.projects.contains(project) {
        return Err(ApiError::Forbidden(format!("you are not assigned to project {project}")));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[serde(default)]
    pub format: Option<String>,
    /// For CSV: which table.
    #[serde(default)]
    pub table: Option<String>,
    /// A report date (YYYY-MM-DD, to the end of that day in the project's
    /// time zone) instead of the default.
    #[serde(default)]
    pub as_of: Option<String>,
    // Drill-down.
    #[serde(default)]
    pub contractor: Option<String>,
    #[serde(default)]
    pub filter: Option<String>,
    /// For the PDF: `0` leaves the photos out.
    #[serde(default)]
    pub photos: Option<String>,
    /// The language of the file's name (`en`, `zh-CN`; else Accept-Language).
    #[serde(default)]
    pub lang: Option<String>,
}

/// Parse the path's round ("1", "2", … or "cumulative") and the report date.
pub fn resolve(project: &Project, round: &str, q: &ReportQuery, now: Time) -> Result<(Scope, RoundNo, Time), ApiError> {
    let explicit = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(rules::report_day_end(
            project,
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| ApiError::BadRequest(format!("as_of {s:?} is not a date (YYYY-MM-DD)")))?,
        )),
    };
    if round == "cumulative" {
        let as_of = explicit.unwrap_or(now);
        return Ok((Scope::Cumulative, current_round(project, as_of)?, as_of));
    }
    let no: u32 = round
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{round:?} is not a round: use its number or \"cumulative\"")))?;
    let no = RoundNo(no);
    let default = round_as_of(project, no, now)?;
    Ok((Scope::Round, no, explicit.unwrap_or(default)))
}

/// The project's model and the read-model rows a report reads.
pub fn load(st: &AppState, project_id: &ProjectId) -> Result<(std::sync::Arc<Project>, Loaded), ApiError> {
    let project = crate::dispatch::project(st, project_id)?;
    let defects = st.store.defect_rows(project_id)?;
    let rechecks = st.store.recheck_rows(project_id)?;
    let units = st.store.unit_round_rows(project_id)?;
    let risks = st.store.risk_details(project_id)?;
    Ok((project, Loaded { defects, rechecks, units, risks }))
}

pub struct Loaded {
    pub defects: Vec<DefectRow>,
    pub rechecks: Vec<RecheckRow>,
    pub units: Vec<UnitRoundRow>,
    pub risks: Vec<DefectDetail>,
}

impl Loaded {
    pub fn rows(&self) -> Rows<'_> {
        Rows { defects: &self.defects, rechecks: &self.rechecks, units: &self.units, risks: &self.risks }
    }
}

/// The printed report with its appendices (read from the read model's
/// defect details) and, when `photos`, up to `max_photos` photos with their
/// marks from their printing copies.
pub fn render_pdf(
    st: &AppState,
    project: &Project,
    loaded: &Loaded,
    report: &RoundReport,
    photos: bool,
    max_photos: usize,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<Vec<u8>, ApiError> {
    progress("appendix", 0, 1);
    let wanted: std::collections::HashSet<DefectId> =
        loaded.defects.iter().filter(|r| in_appendix(r, report)).map(|r| r.id).collect();
    let details = st.store.defect_details(&project.id, &|id| wanted.contains(&id))?;
    drop(wanted);
    let items = appendix(project, &loaded.defects, &details, report);
    drop(details);
    let photo = |h: &PhotoHash| crate::thumbs::get_or_make(st, h);
    let extras = PdfExtras { appendix: &items, photos, max_photos, photo: &photo, progress };
    pdf(report, Some(&extras))
}

/// A report's file other than the PDF: the workbook, one table as CSV
/// (`table`, the summary by default) or the JSON.
pub fn report_bytes(report: &RoundReport, format: &str, table: Option<&str>) -> Result<Vec<u8>, ApiError> {
    match format {
        "xlsx" => xlsx(report),
        "csv" => csv(report_table(report, table)?),
        "json" => serde_json::to_vec(report).map_err(|e| ApiError::Internal(e.into())),
        other => Err(ApiError::BadRequest(format!("format {other:?} is not offered: use pdf, xlsx, json or csv"))),
    }
}

pub fn report_table<'r>(report: &'r RoundReport, table: Option<&str>) -> Result<&'r Table, ApiError> {
    let key = table.unwrap_or("summary");
    report.table(key).ok_or_else(|| {
        let keys: Vec<&str> = report.tables.iter().map(|t| t.key.as_str()).collect();
        ApiError::BadRequest(format!("no table {key:?} in the report; tables: {}", keys.join(", ")))
    })
}

/// A report's file (`format` pdf, xlsx, csv or json) as a download named
/// from the project, scope, round and version (issued) or date (live).
pub fn report_file(
    project: &Project,
    f: &crate::download::ReportFile<'_>,
    format: &str,
    lang: walkthrough_core::model::Lang,
    bytes: Vec<u8>,
) -> Response {
    let mime = match format {
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/json",
    };
    crate::download::file(mime, |l| crate::download::report_stem(project, f, l), lang, format, bytes)
}

/// The day a report's figures are counted to: the day the report prints
/// as its date (`local`), so a file's name and its contents agree.
pub fn local_day(t: Time, zone: time::Zone) -> chrono::NaiveDate {
    time::local_date(t, zone)
}

/// `GET /projects/{p}/reports/{round}?format=json|csv|xlsx|pdf[&table=T][&as_of=D]`.
#[utoipa::path(get, path = "/projects/{project}/reports/{round}", operation_id = "report_report", tag = "reports", responses((status = 200, description = "The report: JSON, or the file `format` asks for", content((RoundReport = "application/json"), ("application/pdf"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv")))), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn report(
    State(st): State<AppState>,
    user: AuthUser,
    headers: axum::http::HeaderMap,
    Path((project_id, round)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_reader(&user, &project_id)?;
    let format = q.format.clone().unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "xlsx" | "pdf") {
        return Err(ApiError::BadRequest(format!("format {format:?} is not offered: use json, csv, xlsx or pdf")));
    }
    blocking(move || {
        let (project, loaded) = load(&st, &project_id)?;
        let (scope, no, as_of) = resolve(&project, &round, &q, chrono::Utc::now())?;
        let report = build(&project, &loaded.rows(), scope, no, as_of);
        let lang = crate::download::lang_of(q.lang.as_deref(), &headers);
        Ok(match format.as_str() {
            "json" => Json(report).into_response(),
            _ => {
                let bytes = match format.as_str() {
                    "pdf" => {
                        let photos = !matches!(q.photos.as_deref(), Some("0" | "false" | "no"));
                        render_pdf(&st, &project, &loaded, &report, photos, DEFAULT_MAX_PHOTOS, &|_, _, _| {})?
                    }
                    _ => report_bytes(&report, &format, q.table.as_deref())?,
                };
                let table = if format == "csv" { Some(report_table(&report, q.table.as_deref())?) } else { None };
                let f = crate::download::ReportFile {
                    cumulative: scope == Scope::Cumulative,
                    round: no,
                    version: None,
                    as_of: local_day(as_of, project.zone()),
                    table: table.map(|t| (t.zh.as_str(), t.en.as_str())),
                };
                report_file(&project, &f, &format, lang, bytes)
            }
        })
    })
    .await
}

/// `GET /projects/{p}/reports/{round}/defects?filter=failed_twice|open|overdue|all[&contractor=C]`:
/// the defects behind a number of the report.
#[utoipa::path(get, path = "/projects/{project}/reports/{round}/defects", operation_id = "report_defects", tag = "reports", responses((status = 200, description = "OK", body = Vec<DrillItem>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn defects(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, round)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<Vec<DrillItem>>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_reader(&user, &project_id)?;
    let filter = q.filter.clone().unwrap_or_else(|| "all".into());
    let which: Drill = serde_json::from_value(Value::String(filter.clone())).map_err(|_| {
        ApiError::BadRequest(format!("filter {filter:?} is not offered: use failed_twice, open, overdue or all"))
    })?;
    blocking(move || {
        let (project, loaded) = load(&st, &project_id)?;
        let (_, no, as_of) = resolve(&project, &round, &q, chrono::Utc::now())?;
        let contractor = q.contractor.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = contractor {
            if c != kpi::UNASSIGNED && !project.contractors.contains_key(&ContractorId::new(c)) {
                return Err(ApiError::Unprocessable(format!("contractor `{c}` is not in project {project_id}")));
            }
        }
        Ok(Json(drill(&project, &loaded.rows(), no, as_of, contractor, which)))
    })
    .await
}
