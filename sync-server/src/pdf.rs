//! Printable documents: a small flowing layout (headings, wrapped text,
//! rules, photos with their vector marks drawn over them) on A4 pages,
//! written as PDF with krilla. Chinese needs a real CJK font: the subset of
//! the glyphs used is embedded, so the file prints anywhere. Used by the
//! rectification sheet (`sheet.rs`) and meant for the round reports.
//!
//! The layout is collected as a list of drawing operations per page first
//! and rendered at the end, so page numbers ("page 2 / 5") can be written.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::Font;
use krilla::Document;
use walkthrough_core::defect::Shape;

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

fn font() -> Result<LoadedFont, PdfError> {
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
    .clone()
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

    fn line(&mut self, text: &str) -> Vec<krilla::text::KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (id, advance) = *self.known.entry(c).or_insert_with(|| {
                    let id = self.charmap.map(c).unwrap_or_default();
                    (id.to_u32(), self.metrics.advance_width(id).unwrap_or(0.0))
                });
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
    Text { x: f32, y: f32, size: f32, text: String, color: Rgb },
    Line { from: (f32, f32), to: (f32, f32), width: f32, color: Rgb },
    Circle { center: (f32, f32), radius: f32, width: f32, color: Rgb },
    Image { x: f32, y: f32, w: f32, h: f32, image: krilla::image::Image },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
}

/// A bar colour for charts.
pub const BAR: Rgb = (47, 111, 178);
/// A light fill (table header rows).
pub const SHADE: Rgb = (235, 238, 242);

/// `text` cut to fit `width` points at `size`, with an ellipsis when cut.
pub fn fit(text: &str, size: f32, width: f32) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out, size) + text_width(c.encode_utf8(&mut [0; 4]), size) + size > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A document being laid out: a cursor flowing down A4 pages.
pub struct PdfBuilder {
    pages: Vec<Vec<Op>>,
    y: f32,
    font: LoadedFont,
    /// Written in every page's footer, beside the page number.
    pub footer: String,
}

/// The width of `text` at `size`, estimated: CJK characters are square,
/// Latin ones about half as wide. Good enough to wrap lines.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 0.55 } else { 1.0 }).sum::<f32>() * size
}

/// `text` broken into lines of at most `width` points (at spaces where it
/// can, anywhere in CJK text).
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_inclusive(' ') {
            if text_width(&line, size) + text_width(word, size) <= width {
                line.push_str(word);
                continue;
            }
            for c in word.chars() {
                if text_width(&line, size) + text_width(c.encode_utf8(&mut [0; 4]), size) > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line).trim_end().to_owned());
                }
                line.push(c);
            }
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

impl PdfBuilder {
    pub fn new() -> Result<Self, PdfError> {
        Ok(Self { pages: vec![Vec::new()], y: MARGIN, font: font()?, footer: String::new() })
    }

    /// The width between the margins.
    pub fn width(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN
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
        if self.y + height > PAGE_H - MARGIN - FOOTER && self.y > MARGIN {
            self.new_page();
        }
    }

    pub fn space(&mut self, points: f32) {
        self.y += points;
    }

    /// Wrapped text at `indent` from the left margin.
    pub fn text(&mut self, text: &str, size: f32, color: Rgb, indent: f32) {
        let line_h = size * 1.4;
        for line in wrap(text, size, self.width() - indent) {
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
    /// narrow, text columns share what is left and their cells wrap (up to
    /// four lines, then cut with an ellipsis). `right[i]`: column `i` holds
    /// numbers, right-aligned.
    pub fn table(&mut self, right: &[bool], header: &[String], rows: &[Vec<String>]) {
        const SIZE: f32 = 8.0;
        const LINE: f32 = SIZE * 1.35;
        const PAD: f32 = 4.0;
        const MAX_LINES: usize = 4;
        let n = header.len();
        let is_num = |i: usize| right.get(i).copied().unwrap_or(false);
        // What each column needs: its widest cell (a sample of a long
        // table), and its header wrapped to about four characters.
        let mut natural: Vec<f32> = header.iter().map(|h| text_width(h, SIZE).min(4.0 * SIZE) + 2.0 * PAD).collect();
        for row in rows.iter().take(400) {
            for (i, cell) in row.iter().enumerate().take(n) {
                // (+1: a cell exactly as wide as its text must not wrap by rounding.)
                natural[i] = natural[i].max(text_width(cell, SIZE) + 2.0 * PAD + 1.0);
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
        let lay_out = |cells: &[String]| -> Vec<Vec<String>> {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let w = widths.get(i).copied().unwrap_or(30.0) - 2.0 * PAD;
                    let mut lines = wrap(c, SIZE, w);
                    if lines.len() > MAX_LINES {
                        let rest = lines[MAX_LINES - 1..].concat();
                        lines.truncate(MAX_LINES - 1);
                        lines.push(fit(&rest, SIZE, w));
                    }
                    lines
                })
                .collect()
        };
        let draw = |b: &mut Self, cells: &[Vec<String>], color: Rgb, shade: bool| {
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lines as f32 * LINE + 3.0;
            if shade {
                let y = b.y;
                b.ops().push(Op::Rect { x: MARGIN, y, w: PAGE_W - 2.0 * MARGIN, h, color: SHADE });
            }
            let mut x = MARGIN;
            for (i, cell) in cells.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0.0);
                for (k, text) in cell.iter().enumerate() {
                    let tx = if is_num(i) { x + w - PAD - text_width(text, SIZE) } else { x + PAD };
                    let ty = b.y + (k + 1) as f32 * LINE - SIZE * 0.2;
                    b.ops().push(Op::Text { x: tx, y: ty, size: SIZE, text: text.clone(), color });
                }
                x += w;
            }
            b.y += h;
        };
        let head = lay_out(header);
        let head_h = head.iter().map(Vec::len).max().unwrap_or(1) as f32 * LINE + 3.0;
        self.ensure(head_h + LINE * 2.0);
        draw(self, &head, GREY, true);
        for row in rows {
            let cells = lay_out(row);
            let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LINE + 3.0;
            if self.y + h > PAGE_H - MARGIN - FOOTER {
                self.new_page();
                draw(self, &head, GREY, true);
            }
            draw(self, &cells, BLACK, false);
        }
        let y = self.y;
        self.ops().push(Op::Line { from: (MARGIN, y), to: (PAGE_W - MARGIN, y), width: 0.4, color: GREY });
        self.y += 4.0;
    }

    /// Horizontal bars, one per `(label, value)`, scaled to the largest,
    /// each with its number written at its end.
    pub fn bar_chart(&mut self, bars: &[(String, f64, String)], color: Rgb) {
        const SIZE: f32 = 8.5;
        const ROW: f32 = 15.0;
        let label_w = 130.0;
        let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
        let span = self.width() - label_w - 60.0;
        for (label, value, shown) in bars {
            self.ensure(ROW);
            let y = self.y;
            let text = fit(label, SIZE, label_w - 6.0);
            self.ops().push(Op::Text { x: MARGIN, y: y + ROW - 4.5, size: SIZE, text, color: BLACK });
            let w = if max > 0.0 { (*value / max) as f32 * span } else { 0.0 };
            if w > 0.0 {
                self.ops().push(Op::Rect { x: MARGIN + label_w, y: y + 2.5, w, h: ROW - 5.0, color });
            }
            let tx = MARGIN + label_w + w + 4.0;
            self.ops().push(Op::Text { x: tx, y: y + ROW - 4.5, size: SIZE, text: shown.clone(), color: GREY });
            self.y += ROW;
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
    /// any has one. An image that is not a readable JPEG or PNG is a note.
    pub fn figures(&mut self, figures: &[Figure<'_>], box_w: f32, box_h: f32) {
        if figures.is_empty() {
            return;
        }
        let captions = figures.iter().any(|p| !p.caption.is_empty());
        let caption_h = if captions { 12.0 } else { 0.0 };
        let per_row = ((self.width() + 8.0) / (box_w + 8.0)).floor().max(1.0) as usize;
        for row in figures.chunks(per_row) {
            self.ensure(box_h + 8.0 + caption_h);
            let top = self.y + 4.0;
            for (i, f) in row.iter().enumerate() {
                let left = MARGIN + i as f32 * (box_w + 8.0);
                if !f.caption.is_empty() {
                    let text = fit(f.caption, 8.0, box_w);
                    self.ops().push(Op::Text { x: left, y: top + box_h + 10.0, size: 8.0, text, color: GREY });
                }
                let image = krilla::image::Image::from_jpeg(f.bytes.to_vec().into(), true)
                    .or_else(|_| krilla::image::Image::from_png(f.bytes.to_vec().into(), true));
                let Ok(image) = image else {
                    self.ops().push(Op::Text {
                        x: left,
                        y: top + 12.0,
                        size: 9.0,
                        text: "（照片无法显示 / photo unreadable）".into(),
                        color: GREY,
                    });
                    continue;
                };
                let (iw, ih) = image.size();
                let scale = (box_w / iw as f32).min(box_h / ih as f32);
                let (w, h) = (iw as f32 * scale, ih as f32 * scale);
                self.ops().push(Op::Image { x: left, y: top, w, h, image });
                for m in f.marks.iter() {
                    self.mark(m, left, top, w, h);
                }
                for pin in f.pins {
                    // A filled dot: a ring as wide as its radius is twice.
                    let center = (left + pin.x as f32 * w, top + pin.y as f32 * h);
                    self.ops().push(Op::Circle { center, radius: 2.5, width: 5.0, color: MARK });
                    self.ops().push(Op::Circle { center, radius: 5.5, width: 1.0, color: (255, 255, 255) });
                }
            }
            self.y = top + box_h + 4.0 + caption_h;
        }
    }

    fn mark(&mut self, shape: &Shape, left: f32, top: f32, w: f32, h: f32) {
        let at = |x: f64, y: f64| (left + x as f32 * w, top + y as f32 * h);
        match shape {
            Shape::Circle { center, radius } => {
                let c = at(center.x, center.y);
                self.ops().push(Op::Circle { center: c, radius: *radius as f32 * w, width: 2.0, color: MARK });
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
                let (x, y) = at(p.x, p.y);
                self.ops().push(Op::Text { x, y, size: 9.0, text: text.clone(), color: MARK });
            }
        }
    }

    /// The PDF bytes.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        let mut doc = Document::new();
        let total = self.pages.len();
        let settings = || PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
        let mut glyphs = Glyphs::new(&self.font.data, self.font.index)
            .ok_or_else(|| PdfError::Write("the font cannot be read".into()))?;
        for (n, ops) in self.pages.into_iter().enumerate() {
            let mut page = doc.start_page_with(settings());
            let mut s = page.surface();
            let footer = format!("{}    第 {} / {} 页 · page {} of {}", self.footer, n + 1, total, n + 1, total);
            let footer_op = Op::Text { x: MARGIN, y: PAGE_H - MARGIN / 2.0, size: 8.0, text: footer, color: GREY };
            for op in ops.iter().chain(std::iter::once(&footer_op)) {
                draw(&mut s, &self.font.font, &mut glyphs, op);
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
