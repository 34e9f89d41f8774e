//! Line breaking for print: where a text may break by the Unicode line
//! breaking algorithm (UAX #14, the `unicode-linebreak` crate), narrowed by
//! the Chinese and Japanese line-start and line-end rules (禁则, kinsoku) —
//! no line starts with a closing bracket or punctuation, none ends with an
//! opening bracket — then lines filled greedily by the font's real advances.
//! A word or URL wider than the line breaks between characters, still
//! keeping those rules where it can. Nothing is dropped: the lines joined
//! again hold every character of the text (only the spaces at a break and
//! the line feeds go).

use unicode_linebreak::{linebreaks, BreakOpportunity};

/// What may not start a line: closing brackets and quotes, punctuation that
/// belongs to the word before it, iteration marks, small kana.
const NO_START: &str = "」』）】〕》〉］｝〗〙〛｣’”»›，。、；：？！…‥・ー々〻ゝゞヽヾ\
ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.;:?!)]}%％‰℃°′″｡､";

/// What may not end a line: opening brackets and quotes, currency signs
/// that belong to the number after them.
const NO_END: &str = "「『（【〔《〈［｛〖〘〚｢‘“«‹([{￥＄$£¥€";

/// Whether `c` may not start a line.
pub fn no_start(c: char) -> bool {
    NO_START.contains(c)
}

/// Whether `c` may not end a line.
pub fn no_end(c: char) -> bool {
    NO_END.contains(c)
}

/// `text` broken into lines no wider than `width`, each character `advance`
/// wide (in the same unit as `width`). A single character wider than the
/// line gets a line of its own. A line feed always breaks; an empty text is
/// one empty line.
pub fn break_lines(text: &str, width: f32, advance: &mut impl FnMut(char) -> f32) -> Vec<String> {
    let mut filler = Filler { width, advance, lines: Vec::new(), line: String::new(), w: 0.0 };
    let mut start = 0;
    for (at, kind) in opportunities(text) {
        let segment = &text[start..at];
        start = at;
        filler.add(segment);
        if kind == BreakOpportunity::Mandatory {
            filler.end_line();
        }
    }
    if filler.lines.is_empty() {
        filler.end_line();
    }
    filler.lines
}

/// The break opportunities of UAX #14 that the kinsoku rules allow: not
/// before a character that may not start a line, not after one that may not
/// end it. The last one is the end of the text (mandatory).
fn opportunities(text: &str) -> impl Iterator<Item = (usize, BreakOpportunity)> + '_ {
    linebreaks(text).filter(move |&(at, kind)| {
        kind == BreakOpportunity::Mandatory
            || !(text[at..].chars().next().is_some_and(no_start)
                || text[..at].trim_end().chars().next_back().is_some_and(no_end))
    })
}

/// Greedy filling of lines with unbreakable segments.
struct Filler<'a, F: FnMut(char) -> f32> {
    width: f32,
    advance: &'a mut F,
    lines: Vec<String>,
    line: String,
    /// The width of `line`, its trailing spaces included.
    w: f32,
}

impl<F: FnMut(char) -> f32> Filler<'_, F> {
    fn measure(&mut self, s: &str) -> f32 {
        s.chars().filter(|c| !c.is_control()).map(&mut *self.advance).sum()
    }

    /// One segment between two break opportunities: on this line if it
    /// fits (its trailing spaces may hang past the edge), else on the next;
    /// wider than a whole line, broken between characters.
    fn add(&mut self, segment: &str) {
        let segment = segment.trim_end_matches(['\n', '\r', '\u{2028}', '\u{2029}', '\u{0b}', '\u{0c}', '\u{85}']);
        if segment.is_empty() {
            return;
        }
        let body = segment.trim_end();
        let body_w = self.measure(body);
        let full_w = self.measure(segment);
        if !self.line.is_empty() && self.w + body_w > self.width {
            self.end_line();
        }
        if self.line.is_empty() && body_w > self.width {
            self.by_characters(body);
            let tail = &segment[body.len()..];
            self.w += self.measure(tail);
            self.line.push_str(tail);
            return;
        }
        self.line.push_str(segment);
        self.w += full_w;
    }

    /// A run wider than the line, broken between characters: as many as
    /// fit on each line, moving a character on with its neighbour where a
    /// line would otherwise start with a closing mark or end with an
    /// opening one.
    fn by_characters(&mut self, run: &str) {
        for c in run.chars() {
            let a = if c.is_control() { 0.0 } else { (self.advance)(c) };
            if !self.line.is_empty() && self.w + a > self.width {
                // Move back over what may not end a line, and over what
                // may not start the next one (while something stays).
                let mut carried: Vec<char> = Vec::new();
                while let Some(last) = self.line.chars().next_back() {
                    let starts = carried.last().copied().unwrap_or(c);
                    if self.line.chars().count() <= 1 || !(no_end(last) || no_start(starts)) {
                        break;
                    }
                    self.line.pop();
                    carried.push(last);
                }
                self.end_line();
                for k in carried.into_iter().rev() {
                    self.line.push(k);
                    self.w += (self.advance)(k);
                }
            }
            self.line.push(c);
            self.w += a;
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.lines.push(line.trim_end().to_owned());
        self.w = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one unit wide, a space half.
    fn unit(c: char) -> f32 {
        if c == ' ' {
            0.5
        } else {
            1.0
        }
    }

    fn check(text: &str, width: f32, expected: &[&str]) {
        let lines = break_lines(text, width, &mut unit);
        assert_eq!(lines, expected, "{text:?} at {width}");
        for line in &lines {
            let w: f32 = line.chars().map(unit).sum();
            assert!(w <= width || line.chars().count() == 1, "{line:?} is {w} wide, more than {width}");
        }
    }

    #[test]
    fn chinese_breaks_anywhere_but_before_closing_and_after_opening_marks() {
        check("一二三四五六", 4.0, &["一二三四", "五六"]);
        // 」 would start the second line: 四 goes with it.
        check("一二三四」五六", 4.0, &["一二三", "四」五六"]);
        // Two closing marks in a row go together with the character before.
        check("一二三四」，五六", 4.0, &["一二三", "四」，五", "六"]);
        // 「 would end the first line: it moves on to the second.
        check("一二三「四五」六", 4.0, &["一二三", "「四五」", "六"]);
        for mark in ['。', '、', '；', '：', '？', '！', '）', '】', '》', '”', '’', '…'] {
            let lines = break_lines(&format!("一二三四{mark}五"), 4.0, &mut unit);
            assert!(!lines[1].starts_with(mark), "{mark}: {lines:?}");
            assert_eq!(lines.concat(), format!("一二三四{mark}五"));
        }
        for mark in ['（', '【', '《', '“', '‘', '『'] {
            let lines = break_lines(&format!("一二三{mark}四五"), 4.0, &mut unit);
            assert!(!lines[0].ends_with(mark), "{mark}: {lines:?}");
        }
    }

    #[test]
    fn latin_words_break_at_spaces_and_long_ones_between_characters() {
        check("the quick brown fox", 9.5, &["the quick", "brown fox"]);
        // Exactly as wide as the line: no break.
        check("abcd efgh", 8.5, &["abcd efgh"]);
        check("abcd efgh", 8.4, &["abcd", "efgh"]);
        // A URL breaks after its slashes, and by characters where a part
        // is wider than the line.
        check(
            "see https://example.com/a/very/long/path now",
            10.0,
            &["see", "https://", "example.co", "m/a/very/", "long/path", "now"],
        );
        check("abcdefghijkl", 5.0, &["abcde", "fghij", "kl"]);
        // Mixed: Chinese beside Latin.
        check("门窗 door 漏水", 5.0, &["门窗", "door", "漏水"]);
    }

    #[test]
    fn line_feeds_break_and_nothing_is_lost() {
        check("一二\n三四", 10.0, &["一二", "三四"]);
        check("一二\n\n三四", 10.0, &["一二", "", "三四"]);
        check("", 10.0, &[""]);
        check("宽", 0.5, &["宽"]);
        let text = "结构梁位置符合设计，不影响使用；可提供吊顶方案。「交付时」由工程师现场解释（附图纸）。";
        for width in [3.0, 4.0, 5.0, 7.0, 11.0] {
            let lines = break_lines(text, width, &mut unit);
            assert_eq!(lines.concat(), text, "at {width}");
            for line in &lines[1..] {
                assert!(!line.starts_with(no_start), "at {width}: {lines:?}");
            }
            for line in &lines[..lines.len() - 1] {
                assert!(!line.ends_with(no_end), "at {width}: {lines:?}");
            }
        }
    }

    #[test]
    fn lines_are_filled_by_the_advances_given() {
        // Narrow "i" and wide "W": as many as their widths allow.
        let mut adv = |c: char| match c {
            'i' => 0.25,
            'W' => 1.0,
            _ => 0.5,
        };
        assert_eq!(break_lines("iiiiiiiiWW", 2.0, &mut adv), ["iiiiiiii", "WW"]);
        assert_eq!(break_lines("WWiiiiiiii", 2.0, &mut adv), ["WW", "iiiiiiii"]);
    }
}
