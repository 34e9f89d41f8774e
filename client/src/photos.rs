//! The photo pipeline: accept a camera or file photo, honour its EXIF
//! orientation, keep the original bytes untouched, make a thumbnail and a
//! screen preview, and address everything by the SHA-256 of the original.
//! Markup is vector data in the unit document, never burned into a file.

use crate::error::{Error, Result};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use walkthrough_core::PhotoHash;

/// The largest photo file accepted.
pub const MAX_BYTES: usize = 40 * 1024 * 1024;
/// The most pixels accepted: a 108 MP phone camera is fine, a decompression
/// bomb is not.
pub const MAX_PIXELS: u64 = 120_000_000;
pub const THUMB_EDGE: u32 = 320;
pub const PREVIEW_EDGE: u32 = 1600;

/// A photo taken into the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Ingested {
    pub hash: PhotoHash,
    pub mime: &'static str,
    /// As displayed (after EXIF orientation).
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// Whether `s` is a content hash as `hash_bytes` writes it (64 lowercase
/// hex digits), e.g. a floor plan uploaded to the server rather than a
/// fixture's file name.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn hash_bytes(bytes: &[u8]) -> PhotoHash {
    let digest = Sha256::digest(bytes);
    PhotoHash::new(digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// What the bytes are, or a clear refusal.
pub fn sniff(bytes: &[u8]) -> Result<(ImageFormat, &'static str)> {
    if bytes.is_empty() {
        return Err(Error::Photo("the file is empty".into()));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Error::Photo(format!(
            "the file is {} MB; photos up to {} MB are accepted",
            bytes.len() / (1024 * 1024),
            MAX_BYTES / (1024 * 1024)
        )));
    }
    if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc")
    {
        return Err(Error::Photo(
            "HEIC photos are not supported yet; set the camera to JPEG (\"Most Compatible\") and take it again".into(),
        ));
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok((ImageFormat::Jpeg, "image/jpeg")),
        Ok(ImageFormat::Png) => Ok((ImageFormat::Png, "image/png")),
        Ok(other) => Err(Error::Photo(format!("{other:?} images are not accepted; use JPEG or PNG"))),
        Err(_) => Err(Error::Photo("the file is not an image (JPEG or PNG expected)".into())),
    }
}

/// The longest side accepted, in pixels (a 108 MP camera is 12,000 × 9,000).
pub const MAX_EDGE: u32 = 16_384;
/// The most memory decoding one photo may take.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    r.limits(limits);
    r
}

/// `1234567` as `1,234,567` (also used by the server's import limits).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A decoder's refusal in words: over a limit, or damaged.
fn refusal(e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(_) => Error::Photo(format!(
            "the image is too large, more than a camera photo can have: photos up to {} megapixels, {} pixels on a side and \
             {} MB decoded are accepted",
            thousands(MAX_PIXELS / 1_000_000),
            thousands(u64::from(MAX_EDGE)),
            MAX_DECODE_BYTES >> 20
        )),
        e => Error::Photo(format!("the image is damaged or truncated ({e})")),
    }
}

/// Check the header without decoding the pixels: format, size, bombs, and
/// that the file is whole (a truncated photo is refused, not shown half grey).
pub fn validate(bytes: &[u8]) -> Result<(ImageFormat, &'static str, u32, u32)> {
    let (format, mime) = sniff(bytes)?;
    let (w, h) = reader(bytes, format).into_dimensions().map_err(refusal)?;
    if w == 0 || h == 0 {
        return Err(Error::Photo(format!("the image claims {w} × {h} pixels")));
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS || w > MAX_EDGE || h > MAX_EDGE {
        return Err(Error::Photo(format!(
            "the image declares {} × {} pixels ({} megapixels), more than a camera photo can have; photos up to {} \
             megapixels and {} pixels on a side are accepted",
            thousands(u64::from(w)),
            thousands(u64::from(h)),
            thousands(pixels.div_ceil(1_000_000)),
            thousands(MAX_PIXELS / 1_000_000),
            thousands(u64::from(MAX_EDGE))
        )));
    }
    match format {
        ImageFormat::Jpeg => jpeg_is_whole(bytes),
        _ => png_is_whole(bytes),
    }
    .map_err(|why| Error::Photo(format!("the image is damaged or truncated ({why})")))?;
    Ok((format, mime, w, h))
}

/// Walk a JPEG's segments and entropy-coded scans up to its end-of-image
/// marker (what follows it, e.g. a motion photo's video, is allowed).
fn jpeg_is_whole(b: &[u8]) -> std::result::Result<(), String> {
    const TRUNCATED: &str = "the JPEG ends before its end-of-image marker";
    let mut i = 2; // after SOI
    loop {
        if i >= b.len() {
            return Err(TRUNCATED.into());
        }
        if b[i] != 0xFF {
            return Err(format!("the JPEG has no marker where one belongs (byte {i})"));
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = b.get(i) else { return Err(TRUNCATED.into()) };
        i += 1;
        match marker {
            0xD9 => return Ok(()),
            0xD0..=0xD7 | 0x01 => continue,
            0xD8 | 0x00 => return Err(format!("the JPEG has a misplaced marker (byte {i})")),
            _ => {}
        }
        let Some(len) = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else {
            return Err(TRUNCATED.into());
        };
        if len < 2 {
            return Err(format!("the JPEG has a segment of impossible length (byte {i})"));
        }
        i += len;
        if i > b.len() {
            return Err(TRUNCATED.into());
        }
        if marker == 0xDA {
            // Entropy-coded data: up to the next marker that is not a
            // stuffed zero, a restart or a fill byte.
            loop {
                let Some(at) = b[i..].iter().position(|&x| x == 0xFF) else { return Err(TRUNCATED.into()) };
                i += at;
                match b.get(i + 1) {
                    None => return Err(TRUNCATED.into()),
                    Some(0x00) | Some(0xD0..=0xD7) => i += 2,
                    Some(0xFF) => i += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// Walk a PNG's chunks up to `IEND`.
fn png_is_whole(b: &[u8]) -> std::result::Result<(), String> {
    const TRUNCATED: &str = "the PNG ends before its IEND chunk";
    let mut i = 8; // after the signature
    loop {
        let Some(head) = b.get(i..i + 8) else { return Err(TRUNCATED.into()) };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if len > i32::MAX as usize {
            return Err(format!("the PNG has a chunk of impossible length (byte {i})"));
        }
        let end = i.saturating_add(12).saturating_add(len);
        if end > b.len() {
            return Err(TRUNCATED.into());
        }
        if &head[4..8] == b"IEND" {
            return Ok(());
        }
        i = end;
    }
}

/// Decode and orient a photo.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage> {
    let (format, _, _, _) = validate(bytes)?;
    let mut decoder = reader(bytes, format).into_decoder().map_err(refusal)?;
    let orientation = decoder.orientation().map_err(refusal)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Where a tablet keeps its photos: `original/<hash>`, `thumb/<hash>.jpg`,
/// `preview/<hash>.jpg`.
#[derive(Clone, Debug)]
pub struct PhotoDir {
    root: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumb,
    Preview,
}

impl PhotoDir {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for d in ["original", "thumb", "preview", "tmp"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        Ok(Self { root })
    }

    pub fn path(&self, hash: &PhotoHash, variant: Variant) -> PathBuf {
        match variant {
            Variant::Original => self.root.join("original").join(hash.as_str()),
            Variant::Thumb => self.root.join("thumb").join(format!("{hash}.jpg")),
            Variant::Preview => self.root.join("preview").join(format!("{hash}.jpg")),
        }
    }

    /// Take a photo in: validate, orient, write original, thumbnail and
    /// preview. Taking the same photo twice is harmless.
    pub fn ingest(&self, bytes: &[u8]) -> Result<Ingested> {
        let (_, mime, _, _) = validate(bytes)?;
        let hash = hash_bytes(bytes);
        let img = decode(bytes)?;
        let (width, height) = (img.width(), img.height());
        // The preview from the full image, the thumbnail from the preview:
        // one pass over 12 megapixels instead of two.
        let preview = preview_image(img);
        self.write_thumb(&hash, &preview)?;
        self.write_atomic(&self.path(&hash, Variant::Preview), &encode_jpeg(&preview, PREVIEW_QUALITY)?)?;
        // The original last: its presence means the photo is complete.
        self.write_atomic(&self.path(&hash, Variant::Original), bytes)?;
        Ok(Ingested { hash, mime, width, height, bytes: bytes.len() })
    }

    fn write_thumb(&self, hash: &PhotoHash, preview: &DynamicImage) -> Result<()> {
        let thumb = preview.thumbnail(THUMB_EDGE, THUMB_EDGE);
        self.write_atomic(&self.path(hash, Variant::Thumb), &encode_jpeg(&thumb, THUMB_QUALITY)?)
    }

    /// Keep a preview the server made of a photo taken elsewhere (its bytes
    /// as `preview_jpeg` wrote them; checked as any photo is), with a
    /// thumbnail made from it. The original stays on the server until asked
    /// for. Returns the bytes written.
    pub fn keep_preview(&self, hash: &PhotoHash, preview: &[u8]) -> Result<u64> {
        if sniff(preview)?.0 != ImageFormat::Jpeg {
            return Err(Error::Photo("a preview must be a JPEG".into()));
        }
        let img = decode(preview)?;
        self.write_thumb(hash, &img)?;
        self.write_atomic(&self.path(hash, Variant::Preview), preview)?;
        Ok(preview.len() as u64 + std::fs::metadata(self.path(hash, Variant::Thumb))?.len())
    }

    /// Keep an original fetched from the server (a photo, or a floor-plan
    /// image), after checking that its bytes hash to its name.
    pub fn keep_original(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<()> {
        if &hash_bytes(bytes) != hash {
            return Err(Error::Photo(format!("{hash} arrived damaged (its bytes do not hash to its name)")));
        }
        self.write_atomic(&self.path(hash, Variant::Original), bytes)
    }

    /// Delete the copies downloaded for offline work (preview and
    /// thumbnail) of a photo no longer needed; a photo whose original is
    /// here (taken on this tablet) is kept whole.
    pub fn forget_downloaded(&self, hash: &PhotoHash) {
        if !self.has(hash) {
            let _ = std::fs::remove_file(self.path(hash, Variant::Preview));
            let _ = std::fs::remove_file(self.path(hash, Variant::Thumb));
        }
    }

    /// Whether this variant's file is here.
    pub fn has_variant(&self, hash: &PhotoHash, variant: Variant) -> bool {
        self.path(hash, variant).is_file()
    }

    /// Whether the photo can be shown here: taken here (the original) or
    /// downloaded for offline work (the preview).
    pub fn can_show(&self, hash: &PhotoHash) -> bool {
        self.has(hash) || self.has_variant(hash, Variant::Preview)
    }

    pub fn read(&self, hash: &PhotoHash, variant: Variant) -> Result<Vec<u8>> {
        Ok(std::fs::read(self.path(hash, variant))?)
    }

    pub fn has(&self, hash: &PhotoHash) -> bool {
        self.path(hash, Variant::Original).is_file()
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        if path.is_file() {
            return Ok(());
        }
        let tmp = self.root.join("tmp").join(format!("{}.{}", std::process::id(), uuid::Uuid::now_v7()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// The preview's JPEG quality, and the thumbnail's.
const PREVIEW_QUALITY: u8 = 85;
const THUMB_QUALITY: u8 = 80;

/// The screen preview of a decoded photo: at most `PREVIEW_EDGE` on its
/// longer side.
fn preview_image(img: DynamicImage) -> DynamicImage {
    if img.width().max(img.height()) > PREVIEW_EDGE {
        img.thumbnail(PREVIEW_EDGE, PREVIEW_EDGE)
    } else {
        img
    }
}

/// The preview JPEG of a photo's original bytes, exactly as a tablet makes
/// it when the photo is taken: the server sends this to tablets that did not
/// take the photo, so they need not download camera originals.
pub fn preview_jpeg(bytes: &[u8]) -> Result<Vec<u8>> {
    encode_jpeg(&preview_image(decode(bytes)?), PREVIEW_QUALITY)
}

/// A JPEG of at most `edge` pixels on its longer side, oriented as shown
/// (the server's printing copy of a photo).
pub fn thumbnail_jpeg(bytes: &[u8], edge: u32, quality: u8) -> Result<Vec<u8>> {
    encode_jpeg(&decode(bytes)?.thumbnail(edge, edge), quality)
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| Error::Photo(format!("could not encode a preview ({e})")))?;
    Ok(out)
}

/// A floor plan: a PNG or JPEG image (checked as photos are) or a PDF that
/// really is one. Returns its MIME type, or a refusal in words.
pub fn validate_floor_plan(bytes: &[u8]) -> std::result::Result<&'static str, String> {
    if bytes.starts_with(b"%PDF") {
        pdf_is_whole(bytes).map_err(|why| format!("the file is not a readable PDF: {why}"))?;
        return Ok("application/pdf");
    }
    validate(bytes).map(|(_, mime, _, _)| mime).map_err(|e| match e {
        Error::Photo(why) => why,
        e => e.to_string(),
    })
}

/// The frame of a PDF file: a `%PDF-x.y` header, a `startxref` offset that
/// points at a cross-reference table or stream inside the file, and the
/// `%%EOF` trailer at the end (a truncated or made-up "PDF" has neither).
fn pdf_is_whole(b: &[u8]) -> std::result::Result<(), String> {
    let header = matches!(b.get(..8), Some([b'%', b'P', b'D', b'F', b'-', major, b'.', minor])
        if major.is_ascii_digit() && minor.is_ascii_digit());
    if !header {
        return Err("it does not start with a PDF header (%PDF-1.x)".into());
    }
    // Writers may add a few bytes (line ends, padding) after the trailer.
    let tail = &b[b.len().saturating_sub(1024)..];
    let Some(eof) = find_last(tail, b"%%EOF") else {
        return Err("it has no %%EOF trailer at its end (the file may be truncated)".into());
    };
    let before = &tail[..eof];
    let Some(at) = find_last(before, b"startxref") else {
        return Err("it has no startxref before its trailer".into());
    };
    let digits: Vec<u8> = before[at + 9..]
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take_while(u8::is_ascii_digit)
        .take(20)
        .collect();
    let offset: usize =
        std::str::from_utf8(&digits).ok().and_then(|d| d.parse().ok()).ok_or("its startxref has no offset")?;
    if offset >= b.len() {
        return Err("its startxref points outside the file".into());
    }
    // A cross-reference table ("xref") or stream ("12 0 obj") there; a few
    // bytes of slack, as readers allow writers that miscount line ends.
    // (Never reaching the startxref keyword itself.)
    let keyword = b.len() - tail.len() + at;
    let window = b.get(offset.saturating_sub(8)..keyword.min(offset + 64)).unwrap_or_default();
    if find_last(window, b"xref").is_none() && find_last(window, b"obj").is_none() {
        return Err("its startxref does not point at a cross-reference table".into());
    }
    Ok(())
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}
