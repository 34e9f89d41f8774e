//! The photo pipeline: originals kept byte for byte, EXIF orientation
//! honoured in previews, clear refusals for what is not a photo.

use walkthrough_client::photos::*;

fn demo_photo(name: &str) -> Vec<u8> {
    std::fs::read(walkthrough_fixtures::demo_dir().join("photos").join(name)).unwrap()
}

#[test]
fn a_jpeg_is_kept_as_is_with_thumbnail_and_preview() {
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoDir::new(dir.path()).unwrap();
    let bytes = demo_photo("wall_crack.jpg");
    let got = photos.ingest(&bytes).unwrap();
    assert_eq!(got.hash, hash_bytes(&bytes));
    assert_eq!((got.mime, got.width, got.height), ("image/jpeg", 640, 480));
    assert_eq!(photos.read(&got.hash, Variant::Original).unwrap(), bytes);
    let thumb = image::load_from_memory(&photos.read(&got.hash, Variant::Thumb).unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (THUMB_EDGE, 240));
    assert!(photos.read(&got.hash, Variant::Preview).is_ok());
    // Taking the same photo again is harmless.
    assert_eq!(photos.ingest(&bytes).unwrap(), got);
}

#[test]
fn exif_orientation_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoDir::new(dir.path()).unwrap();
    let got = photos.ingest(&demo_photo("window_sealant_exif6.jpg")).unwrap();
    // Stored 640×480 sideways; shown upright as 480×640.
    assert_eq!((got.width, got.height), (480, 640));
    let preview = image::load_from_memory(&photos.read(&got.hash, Variant::Preview).unwrap()).unwrap();
    assert_eq!((preview.width(), preview.height()), (480, 640));
}

#[test]
fn a_png_is_accepted() {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 128]));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let got = PhotoDir::new(dir.path()).unwrap().ingest(&png).unwrap();
    assert_eq!((got.mime, got.width, got.height), ("image/png", 64, 48));
}

#[test]
fn what_is_not_a_photo_is_refused_in_words() {
    let jpeg = demo_photo("wall_crack.jpg");
    let mut bomb = jpeg.clone();
    // Patch the frame header (SOF0/SOF2) to claim 60000×60000 pixels.
    let sof = bomb.windows(2).position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).unwrap();
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic");
    heic.extend_from_slice(&[0; 32]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "the file is empty"),
        ("text", b"hello, this is not a photo".to_vec(), "not an image"),
        ("truncated", jpeg[..200].to_vec(), "damaged or truncated"),
        ("bomb", bomb, "more than a camera photo can have"),
        ("heic", heic, "HEIC photos are not supported yet"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "use JPEG or PNG"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoDir::new(dir.path()).unwrap();
    for (what, bytes, needle) in cases {
        let err = photos.ingest(&bytes).unwrap_err().to_string();
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err:?}");
    }
    // Nothing of the refused files was kept.
    assert_eq!(std::fs::read_dir(dir.path().join("original")).unwrap().count(), 0);
}

#[test]
fn files_declaring_huge_or_broken_content_are_refused_in_words() {
    use walkthrough_client::photos::{validate, validate_floor_plan};
    use walkthrough_fixtures::hostile::*;
    let jpeg = demo_photo("wall_crack.jpg");
    // Whole JPEGs are accepted (every demo photo), also with data after the
    // image (a motion photo's video).
    for entry in std::fs::read_dir(walkthrough_fixtures::demo_dir().join("photos")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jpg") {
            assert!(validate(&std::fs::read(&path).unwrap()).is_ok(), "{}", path.display());
        }
    }
    let mut motion = jpeg.clone();
    motion.extend_from_slice(b"ftypmp42 and a video after the end-of-image marker");
    assert!(validate(&motion).is_ok());
    let png = png_declaring(11_000, 11_000);
    assert!(png.len() < 2048, "a small file: {} bytes", png.len());
    let mut png_cut = png_declaring(64, 48);
    png_cut.truncate(png_cut.len() - 12);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("11,000 × 11,000 PNG", png, "declares 11,000 × 11,000 pixels (121 megapixels), more than a camera photo"),
        ("30,000 × 10 PNG", png_declaring(30_000, 10), "16,384 pixels on a side"),
        ("PNG without IEND", png_cut, "the PNG ends before its IEND chunk"),
        ("JPEG cut in its image data", truncated_jpeg(&jpeg), "the JPEG ends before its end-of-image marker"),
        ("JPEG without its last byte", jpeg[..jpeg.len() - 1].to_vec(), "ends before its end-of-image marker"),
    ];
    for (what, bytes, needle) in cases {
        let err = validate(&bytes).unwrap_err().to_string();
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err:?}");
        let err = validate_floor_plan(&bytes).unwrap_err();
        assert!(err.contains(needle), "{what} as a floor plan: expected {needle:?} in {err:?}");
    }
    let pdf = |s: &str| s.as_bytes().to_vec();
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        ("fake PDF", fake_pdf(), "no %%EOF trailer"),
        ("header only", pdf("%PDF-1.4\n%%EOF\n"), "no startxref"),
        ("bad version", pdf("%PDF-x\nstartxref\n0\n%%EOF"), "PDF header"),
        ("xref outside", pdf("%PDF-1.4\nstartxref\n99999\n%%EOF"), "points outside the file"),
        ("xref at nothing", pdf("%PDF-1.4\nhello hello hello hello hello\nstartxref\n20\n%%EOF"), "cross-reference"),
    ];
    for (what, bytes, needle) in refused {
        let err = validate_floor_plan(&bytes).unwrap_err();
        assert!(err.contains(needle) && err.contains("not a readable PDF"), "{what}: expected {needle:?} in {err:?}");
    }
}
