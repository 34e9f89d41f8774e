//! The printable rectification sheet (整改单) for a contractor's site
//! foreman: zh-CN, grouped by building and unit, each item with its place,
//! description, deadline (overdue marked) and its photos with their marks.

use crate::dispatch::contractor_list;
use crate::error::ApiError;
use crate::pdf::{Figure, PdfBuilder, BLACK, GREY, RED};
use crate::AppState;
use walkthrough_core::defect::DefectStatus;
use walkthrough_core::dispatch::group_by_unit;
use walkthrough_core::model::Project;
use walkthrough_core::*;

pub(crate) fn status_zh(s: DefectStatus) -> &'static str {
    match s {
        DefectStatus::Open => "未派单",
        DefectStatus::Assigned => "待整改",
        DefectStatus::FailedRecheck => "复验未通过，重新整改",
        DefectStatus::ReportedFixed => "已报整改，待复验",
        DefectStatus::Verified => "复验通过",
        DefectStatus::AcceptedRisk => "不整改（已说明）",
        DefectStatus::Withdrawn => "已撤销",
    }
}

pub fn render(
    st: &AppState,
    project: &Project,
    contractor: &ContractorId,
    round: Option<RoundNo>,
) -> Result<Vec<u8>, ApiError> {
    let (items, records) = contractor_list(st, project, contractor, round)?;
    let name = project.contractors.get(contractor).map(|c| c.name.zh.clone()).unwrap_or_else(|| contractor.0.clone());
    let now = chrono::Utc::now();
    // Times as the site reads them: in the project's zone, with its offset.
    let zone = project.zone();
    let local = |t: Time| time::format_local(t, zone);
    let mut pdf = PdfBuilder::new().map_err(|e| ApiError::Internal(e.into()))?;
    pdf.footer = format!("{} · {} · 打印于 {}", project.name.zh, name, local(now));
    let scope = round.map_or("累计".to_owned(), |r| format!("第 {} 轮", r.0));
    pdf.heading(&format!("整改通知单（{scope}）"), 18.0);
    pdf.text(&format!("项目：{}", project.name.zh), 11.0, BLACK, 0.0);
    pdf.text(&format!("施工单位：{name}"), 11.0, BLACK, 0.0);
    let open = items.iter().filter(|i| i.status.is_open() && i.status != DefectStatus::ReportedFixed).count();
    let overdue = items.iter().filter(|i| i.overdue).count();
    pdf.text(&format!("共 {} 项，其中待整改 {open} 项，已超期 {overdue} 项。", items.len()), 11.0, BLACK, 0.0);
    pdf.text("请按期整改，完成后在整改链接中逐项回复并上传整改后照片。", 10.0, GREY, 0.0);
    pdf.rule(GREY);
    let mut n = 0;
    for (building, units) in group_by_unit(&items) {
        let building_name = project.buildings.get(building).map(|b| b.name.zh.clone()).unwrap_or(building.0.clone());
        pdf.heading(&building_name, 14.0);
        for (unit, unit_items) in units {
            let number = project.units.get(unit).map(|u| u.number.clone()).unwrap_or_else(|| unit.0.clone());
            pdf.heading(&format!("{building_name} {number} 室"), 12.0);
            for item in unit_items {
                let Some(d) = records.iter().find_map(|r| r.defects.get(&item.defect)) else { continue };
                n += 1;
                let room = project.unit_type_of(unit).and_then(|t| t.room(&d.room)).map(|r| r.name.zh.clone());
                let category = project.categories.get(&d.category).map(|c| c.name.zh.clone()).unwrap_or_default();
                pdf.ensure(60.0);
                pdf.text(&format!("{n}. {} · {} · {category}", room.unwrap_or_default(), d.spot), 11.0, BLACK, 0.0);
                pdf.text(&d.description, 10.0, BLACK, 14.0);
                let deadline = item.deadline.map(&local).unwrap_or_else(|| "—".into());
                let attempt =
                    if item.attempt > 1 { format!("（第 {} 次整改）", item.attempt) } else { String::new() };
                let line = format!("状态：{}{attempt}    整改期限：{deadline}", status_zh(item.status));
                if item.overdue {
                    pdf.text(&format!("{line}    【已超期】"), 10.0, RED, 14.0);
                } else {
                    pdf.text(&line, 10.0, GREY, 14.0);
                }
                let photos: Vec<(Vec<u8>, Vec<walkthrough_core::defect::Shape>)> = d
                    .photos
                    .values()
                    .filter_map(|p| {
                        // The printing copy, not the camera original: a sheet of many
                        // photos must not decode (and embed) each original in full.
                        let bytes = crate::thumbs::get_or_make(st, &p.hash)?;
                        Some((bytes, p.marks.values().map(|m| m.shape.clone()).collect()))
                    })
                    .collect();
                let missing = d.photos.len() - photos.len();
                // The floor plan (its printing copy) with the pin, before the photos.
                let plan = d.pin.and_then(|pin| Some((crate::thumbs::plan_copy(st, project, unit)?, pin)));
                let mut figures: Vec<Figure<'_>> = Vec::new();
                if let Some((bytes, pin)) = &plan {
                    figures.push(Figure {
                        bytes, marks: &[], pins: std::slice::from_ref(pin), caption: "户型图位置"
                    });
                }
                figures.extend(photos.iter().map(|(bytes, marks)| Figure { bytes, marks, pins: &[], caption: "" }));
                pdf.figures(&figures, 160.0, 120.0);
                if missing > 0 {
                    pdf.text(&format!("（另有 {missing} 张照片尚未上传到服务器）"), 9.0, GREY, 14.0);
                }
                pdf.text(
                    "整改情况：______________________________    整改人：__________    日期：__________",
                    10.0,
                    BLACK,
                    14.0,
                );
                pdf.space(6.0);
            }
        }
    }
    if items.is_empty() {
        pdf.text("目前没有需要整改的项目。", 11.0, BLACK, 0.0);
    }
    pdf.finish().map_err(|e| ApiError::Internal(e.into()))
}
