// Words every front end shares for accessibility (screen readers, keyboard
// users), in English and zh-CN: merged into each front end's dictionary.
import type { Dicts } from './i18n.js';

export const A11Y_DICTS: Dicts = {
  en: {
    'a11y.skip': 'Skip to main content',
    'a11y.nav': 'Pages',
    'a11y.photo': 'Defect photo {n} of {total}: {room}, {what}',
    'a11y.marks': '{n} chalk marks on the photo',
    'a11y.marksText': '{n} chalk marks on the photo: {texts}',
    'a11y.plan': 'Floor plan of unit {unit}',
    'a11y.planType': 'Floor plan, type {type}',
    'a11y.planOverlay': 'Room outlines on the floor plan, {room} shaded, the defect’s spot pinned',
    'a11y.planPins': 'Room outlines on the floor plan, {room} shaded, {n} defect pins',
    'a11y.fixPhoto': 'Photo of the fix: {room}, {what}',
    'a11y.recheckPhoto': 'Recheck photo: {room}, {what}',
    'a11y.openMarkup': 'Mark up: {photo}',
    'a11y.markup': 'Mark up the photo',
    'a11y.round': 'Round',
    'a11y.openDefects': '{n} open defects',
  },
  'zh-CN': {
    'a11y.skip': '跳到主要内容',
    'a11y.nav': '页面',
    'a11y.photo': '缺陷照片 {n}/{total}：{room} {what}',
    'a11y.marks': '照片上的 {n} 处标记',
    'a11y.marksText': '照片上的 {n} 处标记：{texts}',
    'a11y.plan': '户型图：{unit}',
    'a11y.planType': '户型图 {type}',
    'a11y.planOverlay': '户型图上的房间轮廓，{room} 已标出，并标注问题位置',
    'a11y.planPins': '户型图上的房间轮廓，{room} 已标出，问题位置 {n} 处',
    'a11y.fixPhoto': '整改后照片：{room} {what}',
    'a11y.recheckPhoto': '复验照片：{room} {what}',
    'a11y.openMarkup': '标记：{photo}',
    'a11y.markup': '在照片上标记',
    'a11y.round': '轮次',
    'a11y.openDefects': '未完结问题 {n} 个',
  },
};
