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
