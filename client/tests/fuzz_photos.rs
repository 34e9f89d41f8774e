//! Fuzz target (fixed budget, part of `cargo test`): photo and floor-plan
//! validation and decoding on mutated real JPEG, PNG and PDF bytes. Each
//! case is accepted or refused in words, never a panic (a panic fails the
//! test and prints the case to keep); whatever `validate` accepts decodes
//! within the limits.

use walkthrough_client::photos::{decode, validate, validate_floor_plan};
use walkthrough_fixtures::mutate::{Case, Mutator};

const CASES: usize = 2_000;

fn demo_photo(name: &str) -> Vec<u8> {
    std::fs::read(walkthrough_fixtures::demo_dir().join("photos").join(name)).unwrap()
}

/// A small photo-like JPEG (the demo's are 640 × 480; a smaller one makes
/// each case cheaper without changing what the parser sees).
fn small_jpeg() -> Vec<u8> {
    let img = image::load_from_memory(&demo_photo("wall_crack.jpg")).unwrap().thumbnail(96, 72);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img.to_rgb8()).unwrap();
    out
}

fn small_png() -> Vec<u8> {
    let img = image::load_from_memory(&demo_photo("wall_crack.jpg")).unwrap().thumbnail(48, 36);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The smallest real PDF: one empty page, with its cross-reference table.
pub fn tiny_pdf() -> Vec<u8> {
    walkthrough_fixtures::hostile::pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])
}

fn fuzz_image(target: &str, seed: u64, bytes: &[u8]) {
    assert!(validate(bytes).is_ok() && decode(bytes).is_ok(), "{target}: the seed is a good photo");
    let mut m = Mutator::new(seed);
    let mut accepted = 0;
    for case in 0..CASES {
        let input = m.mutate(bytes);
        let _case = Case { target, seed, case, input: &input };
        match validate(&input) {
            Ok(_) => {
                accepted += 1;
                // Decoding what passed may still find damage inside the
                // compressed data: refused in words, never a panic.
                let _ = decode(&input);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    // Some mutations (inside the pixels) leave a photo that still opens.
    assert!(accepted > 0, "{target}: no mutated case was accepted, so decoding was never tried");
}

#[test]
fn mutated_jpegs_are_accepted_or_refused_in_words() {
    fuzz_image("jpeg", 11, &small_jpeg());
}

#[test]
fn mutated_pngs_are_accepted_or_refused_in_words() {
    fuzz_image("png", 12, &small_png());
}

#[test]
fn mutated_pdf_floor_plans_are_accepted_or_refused_in_words() {
    let seed = 13;
    let pdf = tiny_pdf();
    assert_eq!(validate_floor_plan(&pdf), Ok("application/pdf"));
    let mut m = Mutator::new(seed);
    for case in 0..CASES {
        let input = m.mutate(&pdf);
        let _case = Case { target: "pdf", seed, case, input: &input };
        if let Err(e) = validate_floor_plan(&input) {
            assert!(!e.is_empty());
        }
    }
}
