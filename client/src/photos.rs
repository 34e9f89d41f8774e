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

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(1024 * 1024 * 1024);
    r.limits(limits);
    r
}

/// Check the header without decoding the pixels: format, size, bombs.
pub fn validate(bytes: &[u8]) -> Result<(ImageFormat, &'static str, u32, u32)> {
    let (format, mime) = sniff(bytes)?;
    let (w, h) = reader(bytes, format)
        .into_dimensions()
        .map_err(|e| Error::Photo(format!("the image is damaged or truncated ({e})")))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(Error::Photo(format!("the image claims {w}×{h} pixels, more than a camera photo can have")));
    }
    Ok((format, mime, w, h))
}

/// Decode and orient a photo.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage> {
    let (format, _, _, _) = validate(bytes)?;
    let damaged = |e: image::ImageError| Error::Photo(format!("the image is damaged or truncated ({e})"));
    let mut decoder = reader(bytes, format).into_decoder().map_err(damaged)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(damaged)?;
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
        let preview = if width.max(height) > PREVIEW_EDGE { img.thumbnail(PREVIEW_EDGE, PREVIEW_EDGE) } else { img };
        let thumb = preview.thumbnail(THUMB_EDGE, THUMB_EDGE);
        self.write_atomic(&self.path(&hash, Variant::Thumb), &encode_jpeg(&thumb, 80)?)?;
        self.write_atomic(&self.path(&hash, Variant::Preview), &encode_jpeg(&preview, 85)?)?;
        // The original last: its presence means the photo is complete.
        self.write_atomic(&self.path(&hash, Variant::Original), bytes)?;
        Ok(Ingested { hash, mime, width, height, bytes: bytes.len() })
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
