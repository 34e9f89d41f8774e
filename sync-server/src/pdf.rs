//! Printable documents: a small flowing layout (headings, wrapped text,
//! rules, photos with their vector marks drawn over them) on A4 pages,
//! written as PDF with krilla. Chinese needs a real CJK font: the subset of
//! the glyphs used is embedded, so the file prints anywhere. Used by the
//! rectification sheet (`sheet.rs`) and meant for the round reports.
//!
//! The layout is collected as a list of drawing operations per page first
//! and rendered at the end, so page numbers ("page 2 / 5") can be written.
//! Text is measured by the font's own advances and broken into lines by
//! `lines` (Unicode line breaking with the Chinese line-start and line-end
//! rules). Nothing a reader needs is cut: cells, chart labels, captions and
//! mark labels wrap, and a table row goes on over the page.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::Font;
use krilla::Document;
use walkthrough_core::defect::Shape;

pub mod lines;

/// A4 in points.
pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 40.0;
const FOOTER: f32 = 24.0;

/// Where to look for a CJK font, first found wins (`WALKTHROUGH_PDF_FONT`
/// overrides; a `.ttc` path may end in `#index`). Debian: fonts-noto-cjk,
/// fonts-wqy-microhei or fonts-arphic-uming.
const FONT_CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no Chinese font for printing was found (install Debian's fonts-noto-cjk, or set WALKTHROUGH_PDF_FONT to a .ttf/.otf/.ttc file)"
    )]
    NoFont,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// The CJK font, loaded once: krilla's handle, and its bytes and index in
/// the collection for the glyph lookups of `Glyphs`.
#[derive(Clone)]
struct LoadedFont {
    font: Font,
    data: std::sync::Arc<Vec<u8>>,
    index: u32,
}

fn font() -> Result<&'static LoadedFont, PdfError> {
    static FONT: std::sync::OnceLock<Option<LoadedFont>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var("WALKTHROUGH_PDF_FONT").ok().map(|v| match v.rsplit_once('#') {
            Some((p, i)) => (p.to_owned(), i.parse().unwrap_or(0)),
            None => (v, 0),
        });
        from_env.into_iter().chain(FONT_CANDIDATES.iter().map(|(p, i)| (p.to_string(), *i))).find_map(
            |(path, index)| {
                let data = std::sync::Arc::new(std::fs::read(&path).ok()?);
                skrifa::FontRef::from_index(&data, index).ok()?;
                let font = Font::new(data.clone().into(), index)?;
                Some(LoadedFont { font, data, index })
            },
        )
    })
    .as_ref()
    .ok_or(PdfError::NoFont)
}

/// Glyphs for a line of text, looked up once per character: each
/// character's glyph from the font's character map, advanced by its width.
/// What reports print (Chinese, digits, Latin words) needs no more than
/// that, and a report of 100,000 defects draws a million cells: running a
/// full shaping engine over each (krilla's `draw_text`) takes minutes.
struct Glyphs<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: skrifa::metrics::GlyphMetrics<'a>,
    known: std::collections::HashMap<char, (u32, f32)>,
}

impl<'a> Glyphs<'a> {
    fn new(data: &'a [u8], index: u32) -> Option<Self> {
        use skrifa::MetadataProvider;
        let f = skrifa::FontRef::from_index(data, index).ok()?;
        // Advances at a size of 1: in ems, as krilla's glyphs carry them.
        let metrics = f.glyph_metrics(skrifa::instance::Size::new(1.0), skrifa::instance::LocationRef::default());
        Some(Self { charmap: f.charmap(), metrics, known: Default::default() })
    }

    fn glyph(&mut self, c: char) -> (u32, f32) {
        *self.known.entry(c).or_insert_with(|| {
            let id = self.charmap.map(c).unwrap_or_default();
            (id.to_u32(), self.metrics.advance_width(id).unwrap_or(0.0))
        })
    }

    /// The advance of `c` in ems (0 for a control character).
    fn advance(&mut self, c: char) -> f32 {
        if c.is_control() {
            0.0
        } else {
            self.glyph(c).1
        }
    }

    fn line(&mut self, text: &str) -> Vec<krilla::text::KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (id, advance) = self.glyph(c);
                krilla::text::KrillaGlyph {
                    glyph_id: krilla::text::GlyphId::new(id),
                    text_range: i..i + c.len_utf8(),
                    x_advance: advance,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }
}

/// A colour as RGB bytes.
pub type Rgb = (u8, u8, u8);
pub const BLACK: Rgb = (0, 0, 0);
pub const GREY: Rgb = (110, 110, 110);
pub const RED: Rgb = (200, 30, 30);
/// The chalk colour of marks on photos.
pub const MARK: Rgb = (230, 40, 40);

/// One image of `PdfBuilder::figures`: its bytes (JPEG or PNG), marks drawn
/// over it, floor-plan pins, a caption (empty: none). Coordinates normalised.
pub struct Figure<'a> {
    pub bytes: &'a [u8],
    pub marks: &'a [Shape],
    pub pins: &'a [walkthrough_core::model::Point],
    pub caption: &'a str,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: Rgb,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        color: Rgb,
    },
    Circle {
        center: (f32, f32),
        radius: f32,
        width: f32,
        color: Rgb,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: krilla::image::Image,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// Later operations drawn only inside this rectangle, until `EndClip`.
    Clip(Rect),
    EndClip,
}

/// A bar colour for charts.
pub const BAR: Rgb = (47, 111, 178);
/// A light fill (table header rows).
pub const SHADE: Rgb = (235, 238, 242);
/// The rule between table rows.
const ROW_RULE: Rgb = (215, 219, 224);

/// Where the body of a page ends (the footer below).
const BOTTOM: f32 = PAGE_H - MARGIN - FOOTER;

/// A document being laid out: a cursor flowing down A4 pages.
pub struct PdfBuilder {
    pages: Vec<Vec<Op>>,
    y: f32,
    font: &'static LoadedFont,
    /// The font's advances, for laying out (and, at the end, its glyphs).
    glyphs: Glyphs<'static>,
    /// Written in every page's footer, beside the page number.
    pub footer: String,
}

/// A rectangle in points, from its top-left corner (y grows down the page).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    /// Whether `inner` lies within this rectangle (to a hundredth of a point).
    pub fn contains(&self, inner: &Rect) -> bool {
        const EPS: f32 = 0.01;
        inner.x >= self.x - EPS
            && inner.y >= self.y - EPS
            && inner.x + inner.w <= self.x + self.w + EPS
            && inner.y + inner.h <= self.y + self.h + EPS
    }
}

/// A mark's label laid out on its photo: the sticker's box and its lines
/// of text at `size` (the first line's baseline `size` below the box's top
/// plus padding).
#[derive(Clone, Debug, PartialEq)]
pub struct LabelLayout {
    pub sticker: Rect,
    pub size: f32,
    pub lines: Vec<String>,
}

const LABEL_PAD: f32 = 1.5;
const LABEL_LINE: f32 = 1.2;

/// Where the label `text` anchored at `anchor` goes on `photo`: above and
/// to the right of the anchor as it was drawn, flipped to the left of it or
/// below it at the photo's right or top edge, then moved inside the photo;
/// wrapped to the photo's width and made smaller (down to 3 pt, for a long
/// label on a tiny photo) until it fits its height. `advance` gives a character's width in ems.
pub fn label_layout(anchor: (f32, f32), photo: Rect, text: &str, advance: &mut impl FnMut(char) -> f32) -> LabelLayout {
    let mut size = 9.0f32;
    let (lines, w, h) = loop {
        let room = (photo.w - 2.0 * LABEL_PAD).max(size);
        let lines = lines::break_lines(text, room, &mut |c| advance(c) * size);
        let h = lines.len() as f32 * size * LABEL_LINE + 2.0 * LABEL_PAD;
        if h <= photo.h || size <= 3.0 {
            let widest = lines.iter().map(|l| l.chars().map(|c| advance(c) * size).sum::<f32>()).fold(0.0, f32::max);
            break (lines, (widest + 2.0 * LABEL_PAD).min(photo.w), h.min(photo.h));
        }
        size -= 0.5;
    };
    let (right, bottom) = (photo.x + photo.w, photo.y + photo.h);
    // As drawn by the tablet: the text's baseline at the anchor.
    let mut x = anchor.0 - LABEL_PAD;
    let mut y = anchor.1 - size - LABEL_PAD;
    if x + w > right {
        x = anchor.0 - w;
    }
    if y < photo.y {
        y = anchor.1 + LABEL_PAD;
    }
    x = x.min(right - w).max(photo.x);
    y = y.min(bottom - h).max(photo.y);
    LabelLayout { sticker: Rect { x, y, w, h }, size, lines }
}

impl PdfBuilder {
    pub fn new() -> Result<Self, PdfError> {
        let font = font()?;
        let glyphs =
            Glyphs::new(&font.data, font.index).ok_or_else(|| PdfError::Write("the font cannot be read".into()))?;
        Ok(Self { pages: vec![Vec::new()], y: MARGIN, font, glyphs, footer: String::new() })
    }

    /// The width between the margins.
    pub fn width(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    /// The width of `text` at `size`, by the font's advances.
    pub fn text_width(&mut self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyphs.advance(c)).sum::<f32>() * size
    }

    /// `text` broken into lines at most `width` points wide at `size`
    /// (Unicode line breaking with the Chinese line-start and line-end
    /// rules, `lines::break_lines`).
    pub fn wrap(&mut self, text: &str, size: f32, width: f32) -> Vec<String> {
        let glyphs = &mut self.glyphs;
        lines::break_lines(text, width, &mut |c| glyphs.advance(c) * size)
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("at least one page")
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Start a new page unless `height` more points fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    pub fn space(&mut self, points: f32) {
        self.y += points;
    }

    /// Wrapped text at `indent` from the left margin.
    pub fn text(&mut self, text: &str, size: f32, color: Rgb, indent: f32) {
        let line_h = size * 1.4;
        for line in self.wrap(text, size, self.width() - indent) {
            self.ensure(line_h);
            self.y += line_h;
            let (x, y) = (MARGIN + indent, self.y - size * 0.3);
            self.ops().push(Op::Text { x, y, size, text: line, color });
        }
    }

    pub fn heading(&mut self, text: &str, size: f32) {
        self.ensure(size * 3.0);
        self.space(size * 0.4);
        self.text(text, size, BLACK, 0.0);
        self.space(size * 0.2);
    }

    /// A table with a shaded header row repeated on every page it spans.
    /// Columns take the width their content needs; when the page is too
    /// narrow, text columns share what is left and their cells wrap, as
    /// many lines as they need. A row that does not fit what is left of the
    /// page moves to the next one whole when it is short, and otherwise
    /// continues there under the repeated header: nothing is cut.
    /// `right[i]`: column `i` holds numbers, right-aligned.
    pub fn table(&mut self, right: &[bool], header: &[String], rows: &[Vec<String>]) {
        const SIZE: f32 = 8.0;
        const LINE: f32 = SIZE * 1.35;
        const PAD: f32 = 4.0;
        /// A row of at most this many lines is not split across pages.
        const KEEP_TOGETHER: usize = 6;
        let n = header.len();
        let is_num = |i: usize| right.get(i).copied().unwrap_or(false);
        // What each column needs: its widest cell (a sample of a long
        // table), and its header wrapped to about four characters.
        let mut natural: Vec<f32> =
            header.iter().map(|h| self.text_width(h, SIZE).min(4.0 * SIZE) + 2.0 * PAD).collect();
        for row in rows.iter().take(400) {
            for (i, cell) in row.iter().enumerate().take(n) {
                // (+1: a cell exactly as wide as its text must not wrap by rounding.)
                natural[i] = natural[i].max(self.text_width(cell, SIZE) + 2.0 * PAD + 1.0);
            }
        }
        let width = self.width();
        let sum: f32 = natural.iter().sum();
        let mut widths = natural.clone();
        if sum <= width {
            widths.iter_mut().for_each(|w| *w *= width / sum.max(1.0));
        } else {
            // Numbers and short texts keep what they need; the long texts
            // share what is left, in proportion to their length.
            let mut flexible: Vec<usize> = (0..n).filter(|i| !is_num(*i)).collect();
            while !flexible.is_empty() {
                let fixed: f32 = (0..n).filter(|i| !flexible.contains(i)).map(|i| natural[i]).sum();
                let left = (width - fixed).max(30.0 * flexible.len() as f32);
                let fair = left / flexible.len() as f32;
                let (short, long): (Vec<usize>, Vec<usize>) = flexible.iter().partition(|i| natural[**i] <= fair);
                if short.is_empty() {
                    let wanted: f32 = long.iter().map(|i| natural[*i]).sum();
                    for i in long {
                        widths[i] = (natural[i] / wanted.max(1.0) * left).max(30.0);
                    }
                    break;
                }
                flexible = long;
            }
        }
        let lay_out = |b: &mut Self, cells: &[String]| -> Vec<Vec<String>> {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| b.wrap(c, SIZE, widths.get(i).copied().unwrap_or(30.0) - 2.0 * PAD))
                .collect()
        };
        // Lines `from..to` of a row's cells, at the cursor.
        let draw = |b: &mut Self, cells: &[Vec<String>], (from, to): (usize, usize), color: Rgb, shade: bool| {
            let h = (to - from) as f32 * LINE + 3.0;
            if shade {
                let y = b.y;
                b.ops().push(Op::Rect { x: MARGIN, y, w: PAGE_W - 2.0 * MARGIN, h, color: SHADE });
            }
            let mut x = MARGIN;
            for (i, cell) in cells.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0.0);
                for (k, text) in cell.iter().enumerate().take(to).skip(from) {
                    let tx = if is_num(i) { x + w - PAD - b.text_width(text, SIZE) } else { x + PAD };
                    let ty = b.y + (k - from + 1) as f32 * LINE - SIZE * 0.2;
                    b.ops().push(Op::Text { x: tx, y: ty, size: SIZE, text: text.clone(), color });
                }
                x += w;
            }
            b.y += h;
        };
        let height = |cells: &[Vec<String>]| cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let head = lay_out(self, header);
        let head_lines = height(&head);
        let head_h = head_lines as f32 * LINE + 3.0;
        self.ensure(head_h + LINE * 2.0);
        draw(self, &head, (0, head_lines), GREY, true);
        let page_top = |b: &mut Self| {
            b.new_page();
            draw(b, &head, (0, head_lines), GREY, true);
        };
        let fits = |b: &Self| ((BOTTOM - b.y - 3.0) / LINE).floor().max(0.0) as usize;
        for row in rows {
            let cells = lay_out(self, row);
            let total = height(&cells);
            let mut from = 0;
            while from < total {
                let room = fits(self);
                let left = total - from;
                if left <= room {
                    draw(self, &cells, (from, total), BLACK, false);
                    break;
                }
                // Short rows stay whole; a long one fills what is left
                // (two lines at least) and goes on over the page.
                if (from == 0 && left <= KEEP_TOGETHER) || room < 2 {
                    page_top(self);
                    continue;
                }
                draw(self, &cells, (from, from + room), BLACK, false);
                from += room;
                page_top(self);
            }
            let y = self.y;
            self.ops().push(Op::Line { from: (MARGIN, y), to: (PAGE_W - MARGIN, y), width: 0.3, color: ROW_RULE });
        }
        let y = self.y;
        self.ops().push(Op::Line { from: (MARGIN, y), to: (PAGE_W - MARGIN, y), width: 0.4, color: GREY });
        self.y += 4.0;
    }

    /// Horizontal bars, one per `(label, value)`, scaled to the largest,
    /// each with its number written at its end. A label longer than its
    /// column wraps onto more lines and its bar's row grows.
    pub fn bar_chart(&mut self, bars: &[(String, f64, String)], color: Rgb) {
        const SIZE: f32 = 8.5;
        const ROW: f32 = 15.0;
        const LINE: f32 = SIZE * 1.25;
        let label_w = 130.0;
        let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
        let span = self.width() - label_w - 60.0;
        for (label, value, shown) in bars {
            let lines = self.wrap(label, SIZE, label_w - 6.0);
            let row = ROW.max(lines.len() as f32 * LINE + 4.0);
            self.ensure(row);
            let y = self.y;
            let first = y + (row - (lines.len() - 1) as f32 * LINE) / 2.0 + SIZE * 0.35;
            for (k, text) in lines.into_iter().enumerate() {
                let ty = first + k as f32 * LINE;
                self.ops().push(Op::Text { x: MARGIN, y: ty, size: SIZE, text, color: BLACK });
            }
            let bar_y = y + (row - (ROW - 5.0)) / 2.0;
            let w = if max > 0.0 { (*value / max) as f32 * span } else { 0.0 };
            if w > 0.0 {
                self.ops().push(Op::Rect { x: MARGIN + label_w, y: bar_y, w, h: ROW - 5.0, color });
            }
            let tx = MARGIN + label_w + w + 4.0;
            let ty = bar_y + ROW - 5.0 - 2.0;
            self.ops().push(Op::Text { x: tx, y: ty, size: SIZE, text: shown.clone(), color: GREY });
            self.y += row;
        }
        self.y += 4.0;
    }

    /// A horizontal rule across the page.
    pub fn rule(&mut self, color: Rgb) {
        self.ensure(8.0);
        self.y += 4.0;
        let y = self.y;
        self.ops().push(Op::Line { from: (MARGIN, y), to: (PAGE_W - MARGIN, y), width: 0.5, color });
        self.y += 4.0;
    }

    /// Photos side by side, each fitted into `box_w` × `box_h` with its marks
    /// drawn over it (normalised coordinates, as stored). A photo that is
    /// not a readable JPEG or PNG is shown as a note.
    pub fn photos(&mut self, photos: &[(Vec<u8>, Vec<Shape>)], box_w: f32, box_h: f32) {
        let captioned: Vec<(&[u8], &[Shape], &str)> =
            photos.iter().map(|(b, m)| (b.as_slice(), m.as_slice(), "")).collect();
        self.captioned_photos(&captioned, box_w, box_h);
    }

    /// Photos as `photos` lays them out, each with a short caption under it.
    pub fn captioned_photos(&mut self, photos: &[(&[u8], &[Shape], &str)], box_w: f32, box_h: f32) {
        let figures: Vec<Figure<'_>> =
            photos.iter().map(|&(bytes, marks, caption)| Figure { bytes, marks, pins: &[], caption }).collect();
        self.figures(&figures, box_w, box_h);
    }

    /// Images side by side (photos with their marks, a floor plan with its
    /// pin), each fitted into `box_w` × `box_h`, a caption under each when
    /// any has one (wrapped to the image's width, never cut). An image that
    /// is not a readable JPEG or PNG is a note.
    pub fn figures(&mut self, figures: &[Figure<'_>], box_w: f32, box_h: f32) {
        const CAPTION: f32 = 8.0;
        const CAPTION_LINE: f32 = CAPTION * 1.25;
        if figures.is_empty() {
            return;
        }
        let per_row = ((self.width() + 8.0) / (box_w + 8.0)).floor().max(1.0) as usize;
        for row in figures.chunks(per_row) {
            let captions: Vec<Vec<String>> = row
                .iter()
                .map(|f| if f.caption.is_empty() { Vec::new() } else { self.wrap(f.caption, CAPTION, box_w) })
                .collect();
            let lines = captions.iter().map(Vec::len).max().unwrap_or(0);
            let caption_h = if lines > 0 { lines as f32 * CAPTION_LINE + 2.0 } else { 0.0 };
            self.ensure(box_h + 8.0 + caption_h);
            let top = self.y + 4.0;
            for (i, (f, caption)) in row.iter().zip(captions).enumerate() {
                let left = MARGIN + i as f32 * (box_w + 8.0);
                for (k, text) in caption.into_iter().enumerate() {
                    let y = top + box_h + 10.0 + k as f32 * CAPTION_LINE;
                    self.ops().push(Op::Text { x: left, y, size: CAPTION, text, color: GREY });
                }
                let image = krilla::image::Image::from_jpeg(f.bytes.to_vec().into(), true)
                    .or_else(|_| krilla::image::Image::from_png(f.bytes.to_vec().into(), true));
                let Ok(image) = image else {
                    let note = self.wrap("（照片无法显示 / photo unreadable）", 9.0, box_w);
                    for (k, text) in note.into_iter().enumerate() {
                        let y = top + 12.0 + k as f32 * 12.0;
                        self.ops().push(Op::Text { x: left, y, size: 9.0, text, color: GREY });
                    }
                    continue;
                };
                let (iw, ih) = image.size();
                let scale = (box_w / iw as f32).min(box_h / ih as f32);
                let photo = Rect { x: left, y: top, w: iw as f32 * scale, h: ih as f32 * scale };
                self.ops().push(Op::Image { x: left, y: top, w: photo.w, h: photo.h, image });
                // Circles and arrows at the edge are cut at the photo's edge;
                // labels are laid out inside it.
                self.ops().push(Op::Clip(photo));
                for m in f.marks.iter() {
                    self.mark(m, photo);
                }
                self.ops().push(Op::EndClip);
                for pin in f.pins {
                    // A filled dot: a ring as wide as its radius is twice.
                    let center = (left + pin.x as f32 * photo.w, top + pin.y as f32 * photo.h);
                    self.ops().push(Op::Circle { center, radius: 2.5, width: 5.0, color: MARK });
                    self.ops().push(Op::Circle { center, radius: 5.5, width: 1.0, color: (255, 255, 255) });
                }
            }
            self.y = top + box_h + 4.0 + caption_h;
        }
    }

    fn mark(&mut self, shape: &Shape, photo: Rect) {
        let at = |x: f64, y: f64| (photo.x + x as f32 * photo.w, photo.y + y as f32 * photo.h);
        match shape {
            Shape::Circle { center, radius } => {
                let c = at(center.x, center.y);
                self.ops().push(Op::Circle { center: c, radius: *radius as f32 * photo.w, width: 2.0, color: MARK });
            }
            Shape::Arrow { from, to } => {
                let (a, b) = (at(from.x, from.y), at(to.x, to.y));
                self.ops().push(Op::Line { from: a, to: b, width: 2.0, color: MARK });
                // The head: two short strokes back from the tip.
                let angle = (b.1 - a.1).atan2(b.0 - a.0);
                for side in [-0.5f32, 0.5] {
                    let back = angle + std::f32::consts::PI + side;
                    let end = (b.0 + 8.0 * back.cos(), b.1 + 8.0 * back.sin());
                    self.ops().push(Op::Line { from: b, to: end, width: 2.0, color: MARK });
                }
            }
            Shape::Label { at: p, text } => {
                // A white sticker with the words in chalk red, as on site.
                let glyphs = &mut self.glyphs;
                let label = label_layout(at(p.x, p.y), photo, text, &mut |c| glyphs.advance(c));
                let Rect { x, y, w, h } = label.sticker;
                self.ops().push(Op::Rect { x, y, w, h, color: (255, 255, 255) });
                for (k, line) in label.lines.into_iter().enumerate() {
                    let ty = y + LABEL_PAD + label.size * (0.88 + k as f32 * LABEL_LINE);
                    self.ops().push(Op::Text { x: x + LABEL_PAD, y: ty, size: label.size, text: line, color: MARK });
                }
            }
        }
    }

    /// The PDF bytes.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        const SIZE: f32 = 8.0;
        const LINE: f32 = SIZE * 1.3;
        let mut doc = Document::new();
        let total = self.pages.len();
        let settings = || PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
        let mut glyphs = self.glyphs;
        let width = PAGE_W - 2.0 * MARGIN;
        for (n, ops) in self.pages.into_iter().enumerate() {
            let mut page = doc.start_page_with(settings());
            let mut s = page.surface();
            // A long footer wraps upwards from its place, never over the edge.
            let footer = format!("{}    第 {} / {} 页 · page {} of {}", self.footer, n + 1, total, n + 1, total);
            let lines = lines::break_lines(&footer, width, &mut |c| glyphs.advance(c) * SIZE);
            let first = PAGE_H - MARGIN / 2.0 - (lines.len() - 1) as f32 * LINE;
            let footer_ops = lines.into_iter().enumerate().map(|(k, text)| Op::Text {
                x: MARGIN,
                y: first + k as f32 * LINE,
                size: SIZE,
                text,
                color: GREY,
            });
            for op in ops.into_iter().chain(footer_ops) {
                draw(&mut s, &self.font.font, &mut glyphs, &op);
            }
            s.finish();
            page.finish();
        }
        doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

fn fill(color: Rgb) -> Fill {
    Fill { paint: rgb::Color::new(color.0, color.1, color.2).into(), ..Default::default() }
}

fn draw(s: &mut krilla::surface::Surface<'_>, font: &Font, glyphs: &mut Glyphs<'_>, op: &Op) {
    match op {
        Op::Text { x, y, size, text, color } => {
            s.set_fill(Some(fill(*color)));
            s.draw_glyphs(Point::from_xy(*x, *y), &glyphs.line(text), font.clone(), text, *size, false);
        }
        Op::Line { from, to, width, color } => {
            let mut pb = PathBuilder::new();
            pb.move_to(from.0, from.1);
            pb.line_to(to.0, to.1);
            stroke(s, pb, *width, *color);
        }
        Op::Circle { center: (cx, cy), radius: r, width, color } => {
            // Four cubic arcs (the usual 0.5523 control-point factor).
            let k = 0.5523 * r;
            let mut pb = PathBuilder::new();
            pb.move_to(cx + r, *cy);
            pb.cubic_to(cx + r, cy + k, cx + k, cy + r, *cx, cy + r);
            pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, *cy);
            pb.cubic_to(cx - r, cy - k, cx - k, cy - r, *cx, cy - r);
            pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, *cy);
            pb.close();
            stroke(s, pb, *width, *color);
        }
        Op::Rect { x, y, w, h, color } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x, *y);
            pb.line_to(x + w, *y);
            pb.line_to(x + w, y + h);
            pb.line_to(*x, y + h);
            pb.close();
            let Some(path) = pb.finish() else { return };
            s.set_stroke(None);
            s.set_fill(Some(fill(*color)));
            s.draw_path(&path);
        }
        Op::Clip(r) => {
            let mut pb = PathBuilder::new();
            pb.move_to(r.x, r.y);
            pb.line_to(r.x + r.w, r.y);
            pb.line_to(r.x + r.w, r.y + r.h);
            pb.line_to(r.x, r.y + r.h);
            pb.close();
            if let Some(path) = pb.finish() {
                s.push_clip_path(&path, &krilla::paint::FillRule::NonZero);
            } else {
                // Keep the pushes and pops paired.
                s.push_opacity(krilla::num::NormalizedF32::ONE);
            }
        }
        Op::EndClip => s.pop(),
        Op::Image { x, y, w, h, image } => {
            let Some(size) = Size::from_wh(*w, *h) else { return };
            s.push_transform(&Transform::from_translate(*x, *y));
            s.draw_image(image.clone(), size);
            s.pop();
        }
    }
}

fn stroke(s: &mut krilla::surface::Surface<'_>, pb: PathBuilder, width: f32, color: Rgb) {
    let Some(path) = pb.finish() else { return };
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        width,
        ..Default::default()
    }));
    s.draw_path(&path);
    s.set_stroke(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full-width characters one em wide, the others half.
    fn ems(c: char) -> f32 {
        if c.is_ascii() {
            0.5
        } else {
            1.0
        }
    }

    fn width_of(line: &str, size: f32) -> f32 {
        line.chars().map(ems).sum::<f32>() * size
    }

    #[test]
    fn a_label_at_the_edges_of_its_photo_stays_inside_it() {
        let photo = Rect { x: 100.0, y: 200.0, w: 120.0, h: 90.0 };
        let long = "卫生间地漏周边渗水，需凿除重做防水层并闭水试验四十八小时后复验（附照片）以及阳台门槛石";
        assert!(long.chars().count() > 40, "longer than the tablet allows");
        for (ax, ay) in [(0.98, 0.5), (0.5, 0.99), (0.99, 0.99), (1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.6, 0.1)] {
            for text in ["渗漏", "door gap 3 mm", "墙面空鼓约 30 cm，需重新抹灰", long] {
                let anchor = (photo.x + ax * photo.w, photo.y + ay * photo.h);
                let label = label_layout(anchor, photo, text, &mut ems);
                let s = label.sticker;
                assert!(photo.contains(&s), "{text:?} at {anchor:?}: {s:?} leaves {photo:?}");
                for line in &label.lines {
                    let w = width_of(line, label.size);
                    assert!(w <= s.w - 2.0 * LABEL_PAD + 0.01, "{line:?} is {w} wide in {s:?}");
                }
                let h = label.lines.len() as f32 * label.size * LABEL_LINE + 2.0 * LABEL_PAD;
                assert!(h <= s.h + 0.01, "{text:?}: {} lines of {} in {s:?}", label.lines.len(), label.size);
                assert_eq!(label.lines.concat().replace(' ', ""), text.replace(' ', ""), "nothing is dropped");
            }
        }
        // Away from the edges a label is where the tablet drew it: its
        // baseline at the anchor, to the right of it, on one line.
        let label = label_layout((130.0, 250.0), photo, "渗漏", &mut ems);
        assert_eq!((label.sticker.x, label.sticker.y, label.size), (130.0 - LABEL_PAD, 250.0 - 9.0 - LABEL_PAD, 9.0));
        assert_eq!(label.lines, ["渗漏"]);
        // Near the right edge it turns to the left of the anchor; at the
        // top, below it.
        let label = label_layout((215.0, 250.0), photo, "渗漏", &mut ems);
        assert_eq!(label.sticker.x + label.sticker.w, 215.0);
        let label = label_layout((130.0, 203.0), photo, "渗漏", &mut ems);
        assert_eq!(label.sticker.y, 203.0 + LABEL_PAD);
        // The long one wraps to the photo's width, at 9 pt still.
        let label = label_layout((200.0, 280.0), photo, long, &mut ems);
        assert!(label.lines.len() > 1 && label.size == 9.0, "{label:?}");
        // In a small photo it gets smaller to fit.
        let small = Rect { x: 0.0, y: 0.0, w: 60.0, h: 30.0 };
        let label = label_layout((50.0, 25.0), small, long, &mut ems);
        let h = label.lines.len() as f32 * label.size * LABEL_LINE + 2.0 * LABEL_PAD;
        assert!(label.size < 9.0 && small.contains(&label.sticker) && h <= label.sticker.h + 0.01, "{label:?}");
    }

    #[test]
    fn text_is_laid_out_with_the_fonts_own_advances() {
        let Ok(mut pdf) = PdfBuilder::new() else {
            panic!("no CJK font: install fonts-noto-cjk (scripts/common.sh ensure_server_tools)");
        };
        // Real advances: a narrow "i" and a wide "W" differ, a CJK character is one em.
        assert!(pdf.text_width("iiii", 10.0) < pdf.text_width("WWWW", 10.0) / 2.0);
        assert!((pdf.text_width("漏水", 10.0) - 20.0).abs() < 0.01);
        let text = "卫生间地漏周边渗水（约 30 cm），需凿除重做防水层；「闭水试验」48 小时后复验。See https://example.com/defects/B1-0101 for photos.";
        for width in [60.0, 97.0, 150.0, 233.0] {
            let lines = pdf.wrap(text, 9.0, width);
            let glued: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            assert_eq!(glued, text.replace(' ', ""), "at {width}: {lines:?}");
            for (k, line) in lines.iter().enumerate() {
                let w = pdf.text_width(line, 9.0);
                assert!(w <= width, "at {width}: {line:?} is {w} wide");
                if k > 0 {
                    assert!(!line.starts_with(lines::no_start), "at {width}: {lines:?}");
                }
            }
        }
    }
}
