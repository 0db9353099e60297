/**
 * Decoding image files into the fixed-size RGB tensors the CNN reads, plus the small thumbnail the
 * quality statistics are computed on. Every failure is a `DecodeError` with a reason and a sentence
 * a person understands; nothing here throws sharp's raw messages at the user.
 *
 * Decisions:
 * - Magic bytes are checked before sharp sees the file: a 0-byte file is 'empty', an HTML page named
 *   `.png` is 'not-an-image', and only raster formats we expect in datasets reach libvips (no SVG/PDF).
 * - `failOn: 'error'`: libvips' default ('warning') rejects common, harmless warnings such as
 *   "extraneous bytes before marker"; 'none' silently fills the missing part of a truncated JPEG with
 *   grey. 'error' rejects truncation ("premature end of JPEG image", "libspng read error") and accepts
 *   warnings. A JPEG that only lacks its final EOI marker is retried with the marker appended and
 *   accepted when it then decodes at full resolution without even a warning (all scan data was present).
 * - Transparency is flattened onto white (`FLATTEN_BACKGROUND`): that is how the image looked to the
 *   person who labelled it (image viewers, browsers and VS Code's light themes show it on a light
 *   background), and cut-out product shots and icons conventionally sit on white. Side effect: a mostly
 *   transparent image has high brightness and may be flagged 'overexposed' relative to its dataset.
 * - The quality thumbnail is resized from the CNN pixels in JS (area average) instead of decoding the
 *   file a second time. Measured (size 224 + quality 64, sequential single-call loop, 2-core container
 *   at load average ~13, so ±20% noise; interleaved rounds), images/s:
 *                        one decode + JS resize   two sharp pipelines   one pipeline, no header/thumb
 *     28×28 grey PNG            145                     138                     223
 *     640×480 JPEG              121                      85                      98 (noise)
 *   Decoding once is at least as fast, simpler, and needs one libvips pass, so it is kept. The header
 *   read (`metadata()`, for the original size/channels/frames) is most of the remaining gap on tiny files.
 * - The perceptual hash used for near-duplicate detection is computed from the same thumbnail, inside
 *   `computeQualityStats` (a 32×32 DCT, well under a millisecond), so it costs no second decode and is
 *   cached with the other statistics.
 */
import sharp from 'sharp';
import { computeQualityStats, GREY_CHANNEL_TOLERANCE, type QualityStats } from './quality';
import { areaResizeRgb } from './resample';

/**
 * Largest image (width × height of the first frame) we decode: 100 MP is ~300 MB of 8-bit RGB — above
 * any real dataset photo (a 50 MP camera frame), far below what a decompression bomb declares.
 */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Default side of the square thumbnail the quality statistics are computed on. */
export const DEFAULT_QUALITY_SIZE = 64;

/** Largest side `decodeImage` produces; anything bigger is a caller bug, not an image property. */
const MAX_OUTPUT_SIZE = 4096;

/** Background that transparent pixels are flattened onto (see the module comment). */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

/** Number of leading bytes shown in the 'not-an-image' message. */
const SNIFF_BYTES_SHOWN = 4;

export type DecodeErrorReason = 'empty' | 'not-an-image' | 'truncated' | 'too-large' | 'unsupported' | 'unreadable';

/** A file that could not be decoded; `message` is a sentence for the Problems panel. */
export class DecodeError extends Error {
  readonly reason: DecodeErrorReason;
  constructor(reason: DecodeErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
    this.reason = reason;
  }
}

export interface DecodedImage {
  /** size×size×3 RGB, row-major, 8-bit sRGB, alpha flattened, EXIF-rotated — the CNN input. */
  readonly pixels: Uint8Array;
  /** Original size after EXIF orientation (first frame for animations). */
  readonly width: number;
  readonly height: number;
  /** Container format as sharp names it: 'jpeg', 'png', 'gif', 'webp', 'tiff', 'heif'. */
  readonly format: string;
  /** Channels of the source, alpha included (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA or CMYK). */
  readonly channels: number;
  readonly hasAlpha: boolean;
  /** The source is single-channel or every pixel has R≈G≈B. */
  readonly isGrayscale: boolean;
  /** Frames/pages in the file; only the first is decoded. */
  readonly frames: number;
  /** Statistics of the quality thumbnail (qualitySize×qualitySize), including its perceptual hashes (`phash`, `phashFlip`). */
  readonly quality: QualityStats;
}

export interface DecodeOptions {
  /** Pixel limit (width × height); default `MAX_INPUT_PIXELS`. */
  readonly maxPixels?: number;
  /** Side of the square quality thumbnail; default `DEFAULT_QUALITY_SIZE`. */
  readonly qualitySize?: number;
}

/** Formats recognised by their magic bytes. */
export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'bmp' | 'avif' | 'heic';

/** Formats sharp's prebuilt libvips cannot decode; recognised only to say so clearly. */
const UNSUPPORTED_FORMATS: ReadonlySet<SniffedFormat> = new Set(['bmp', 'heic']);

const SIGNATURES: readonly { readonly format: SniffedFormat; readonly bytes: readonly number[] }[] = [
  { format: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { format: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { format: 'gif', bytes: [0x47, 0x49, 0x46, 0x38] }, // GIF8(7|9)a
  { format: 'tiff', bytes: [0x49, 0x49, 0x2a, 0x00] }, // little-endian
  { format: 'tiff', bytes: [0x4d, 0x4d, 0x00, 0x2a] }, // big-endian
  { format: 'bmp', bytes: [0x42, 0x4d] },
];

/**
 * The image format the bytes start with, or null. Also recognises a file that is only a prefix of a
 * signature (`truncatedPrefix`), so a 3-byte "PNG" is reported as truncated rather than not-an-image.
 */
export function sniffImageFormat(bytes: Uint8Array): { format: SniffedFormat; truncatedPrefix: boolean } | null {
  for (const sig of SIGNATURES) {
    const len = Math.min(sig.bytes.length, bytes.length);
    let match = len > 0;
    for (let i = 0; i < len && match; i++) match = bytes[i] === sig.bytes[i];
    // A 1-byte prefix (e.g. 'B', 'I', 'M') is too weak to call it an image.
    if (match && (len === sig.bytes.length || len >= 2)) return { format: sig.format, truncatedPrefix: len < sig.bytes.length };
  }
  const ascii = (from: number, to: number): string => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { format: 'webp', truncatedPrefix: false };
  if (bytes.length >= 12 && ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return { format: 'avif', truncatedPrefix: false };
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return { format: 'heic', truncatedPrefix: false };
  }
  return null;
}

/** Check the magic bytes; returns the format or throws the matching DecodeError without touching sharp. */
function checkSignature(bytes: Buffer): SniffedFormat {
  if (bytes.length === 0) throw new DecodeError('empty', 'file is empty (0 bytes)');
  const sniffed = sniffImageFormat(bytes);
  if (sniffed === null) {
    const hex = Array.from(bytes.subarray(0, SNIFF_BYTES_SHOWN), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DecodeError('not-an-image', `file is not an image (starts with bytes ${hex}${describeContent(bytes)})`);
  }
  const name = sniffed.format.toUpperCase();
  if (sniffed.truncatedPrefix) throw new DecodeError('truncated', `file is truncated: only ${bytes.length} bytes of a ${name} header`);
  if (UNSUPPORTED_FORMATS.has(sniffed.format)) {
    throw new DecodeError('unsupported', `${name} images are not supported; convert the file to PNG or JPEG`);
  }
  return sniffed.format;
}

/** ", looks like text: "<html…"" when the first bytes are printable text, else "". */
function describeContent(bytes: Buffer): string {
  const head = bytes.subarray(0, 32);
  // Printable ASCII plus tab/CR/LF; UTF-8 text with accents still passes through the 16-char preview.
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  if (!printable) return '';
  const preview = head.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 16);
  return preview.length > 0 ? `, looks like text: "${preview}"` : '';
}

interface SourceInfo {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly hasAlpha: boolean;
  readonly singleChannel: boolean;
  readonly frames: number;
}

/**
 * Read the header. Runs without sharp's pixel limit (a header read allocates no pixels) so that a
 * bomb is reported with its declared size; the limit itself is enforced right after.
 */
async function readSource(bytes: Buffer, sniffed: SniffedFormat, maxPixels: number): Promise<SourceInfo> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, animated: false }).metadata();
  } catch (err) {
    throw classifySharpError(err, bytes, sniffed, maxPixels);
  }
  const width = meta.width;
  const height = meta.height;
  if (!width || !height) throw new DecodeError('unreadable', `${sniffed.toUpperCase()} header has no image size`);
  checkPixelLimit(width, height, maxPixels);
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8; // 5–8 rotate by ±90°
  const channels = meta.channels ?? 3;
  const hasAlpha = meta.hasAlpha ?? false;
  return {
    format: meta.format ?? sniffed,
    width: swap ? height : width,
    height: swap ? width : height,
    channels,
    hasAlpha,
    singleChannel: channels - (hasAlpha ? 1 : 0) === 1 || meta.space === 'b-w' || meta.space === 'grey16',
    frames: meta.pages ?? 1,
  };
}

function checkPixelLimit(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new DecodeError(
      'too-large',
      `image is ${width}×${height} = ${formatMegapixels(width * height)} MP, over the ${formatMegapixels(maxPixels)} MP limit (possible decompression bomb)`,
    );
  }
}

function formatMegapixels(pixels: number): string {
  const mp = pixels / 1e6;
  if (mp >= 10) return String(Math.round(mp));
  if (mp >= 0.1) return String(Math.round(mp * 10) / 10);
  return String(Number(mp.toPrecision(2)));
}

/** The decode pipeline: EXIF rotate, flatten alpha, 8-bit sRGB, fill-resize to side×side, raw RGB. */
function pipeline(bytes: Buffer, side: number, maxPixels: number, failOn: 'error' | 'warning'): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: maxPixels, failOn, animated: false })
    .rotate()
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace('srgb')
    .resize(side, side, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer();
}

const JPEG_EOI = Buffer.from([0xff, 0xd9]);

async function decodePixels(bytes: Buffer, sniffed: SniffedFormat, side: number, maxPixels: number): Promise<Buffer> {
  try {
    return await pipeline(bytes, side, maxPixels, 'error');
  } catch (err) {
    const classified = classifySharpError(err, bytes, sniffed, maxPixels);
    if (classified.reason === 'truncated' && sniffed === 'jpeg' && !endsWith(bytes, JPEG_EOI)) {
      // Only the end marker may be missing: append it and check strictly, since libjpeg warns ("premature
      // end of data segment") when scan data is missing too. The check decodes at full resolution: a
      // downscaling pipeline reads lazily and may stop before the damaged tail, hiding the warning.
      const repaired = Buffer.concat([bytes, JPEG_EOI]);
      let complete = false;
      try {
        await sharp(repaired, { limitInputPixels: maxPixels, failOn: 'warning' }).extractChannel(0).raw().toBuffer();
        complete = true;
      } catch {
        // it really is truncated
      }
      if (complete) return pipeline(repaired, side, maxPixels, 'error');
    }
    throw classified;
  }
}

function endsWith(bytes: Buffer, tail: Buffer): boolean {
  return bytes.length >= tail.length && bytes.subarray(bytes.length - tail.length).equals(tail);
}

/** Whether the container's end marker is missing — evidence of truncation when decoding fails. */
function missingEndMarker(bytes: Buffer, sniffed: SniffedFormat): boolean {
  switch (sniffed) {
    case 'jpeg': // EOI, possibly followed by padding/garbage: look for it near the end
      return bytes.lastIndexOf(JPEG_EOI) < 0;
    case 'png':
      return bytes.lastIndexOf(Buffer.from('IEND', 'latin1')) < 0;
    case 'gif': // trailer byte 0x3b
      return bytes[bytes.length - 1] !== 0x3b;
    case 'webp': // RIFF size field vs actual length
      return bytes.length >= 8 && bytes.readUInt32LE(4) + 8 > bytes.length;
    default:
      return false;
  }
}

const TRUNCATION_PATTERN = /premature end|end of stream|unexpected end|truncat|not enough data|end of file|EOF/i;

function classifySharpError(err: unknown, bytes: Buffer, sniffed: SniffedFormat, maxPixels: number): DecodeError {
  const raw = err instanceof Error ? err.message : String(err);
  const detail = raw.split('\n')[0].replace(/^Input buffer has corrupt header: /, '');
  const name = sniffed.toUpperCase();
  if (/exceeds pixel limit/i.test(raw)) {
    return new DecodeError('too-large', `image is over the ${formatMegapixels(maxPixels)} MP limit (possible decompression bomb)`, { cause: err });
  }
  if (TRUNCATION_PATTERN.test(raw) || missingEndMarker(bytes, sniffed)) {
    return new DecodeError('truncated', `${name} file is truncated: the image data ends early (${detail})`, { cause: err });
  }
  if (/unsupported image format/i.test(raw)) {
    // The signature matched a format sharp reads, so the header after it must be damaged.
    return new DecodeError('unreadable', `${name} file is corrupt: its header could not be read`, { cause: err });
  }
  return new DecodeError('unreadable', `${name} file is corrupt: ${detail}`, { cause: err });
}

function checkSide(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_OUTPUT_SIZE) {
    throw new RangeError(`${name} must be an integer in [1, ${MAX_OUTPUT_SIZE}], got ${value}`);
  }
}

/**
 * Decode one image file to size×size RGB for the CNN, with its quality statistics.
 * Throws `DecodeError` for files that are not (readable) images; RangeError for bad arguments.
 * Same bytes → identical pixels.
 */
export async function decodeImage(bytes: Buffer, size: number, opts?: DecodeOptions): Promise<DecodedImage> {
  checkSide('size', size);
  const qualitySize = opts?.qualitySize ?? DEFAULT_QUALITY_SIZE;
  checkSide('qualitySize', qualitySize);
  const maxPixels = opts?.maxPixels ?? MAX_INPUT_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`maxPixels must be positive, got ${maxPixels}`);

  const sniffed = checkSignature(bytes);
  const source = await readSource(bytes, sniffed, maxPixels);
  // Decode once at the larger of the two sides; the other is an area-average downscale of it.
  const decodeSide = Math.max(size, qualitySize);
  const decoded = new Uint8Array(await decodePixels(bytes, sniffed, decodeSide, maxPixels));
  const pixels = decodeSide === size ? decoded : areaResizeRgb(decoded, decodeSide, size);
  const thumb = decodeSide === qualitySize ? decoded : areaResizeRgb(decoded, decodeSide, qualitySize);

  const stats = computeQualityStats(thumb, qualitySize, qualitySize, source);
  const isGrayscale = source.singleChannel || isGreyRgb(pixels);
  return {
    pixels,
    width: source.width,
    height: source.height,
    format: source.format,
    channels: source.channels,
    hasAlpha: source.hasAlpha,
    isGrayscale,
    frames: source.frames,
    // One answer for "is it grey": the full-resolution check, not the thumbnail's.
    quality: { ...stats, isGrayscale },
  };
}

function isGreyRgb(rgb: Uint8Array): boolean {
  for (let o = 0; o < rgb.length; o += 3) {
    const r = rgb[o];
    const g = rgb[o + 1];
    const b = rgb[o + 2];
    if (Math.abs(r - g) > GREY_CHANNEL_TOLERANCE || Math.abs(g - b) > GREY_CHANNEL_TOLERANCE || Math.abs(r - b) > GREY_CHANNEL_TOLERANCE) {
      return false;
    }
  }
  return true;
}

/** WebP quality of UI thumbnails: visually clean at thumbnail sizes, a few KB each. */
const THUMBNAIL_WEBP_QUALITY = 80;

/**
 * A WebP thumbnail (longest side ≤ maxSide, never enlarged, EXIF-rotated, alpha kept) for the UI.
 * Lenient (`failOn: 'none'`): a truncated file shows what is there, so the user sees the damage.
 * Throws `DecodeError` like `decodeImage` for files that are not images or too large.
 */
export async function decodeThumbnail(bytes: Buffer, maxSide: number): Promise<Buffer> {
  checkSide('maxSide', maxSide);
  const sniffed = checkSignature(bytes);
  await readSource(bytes, sniffed, MAX_INPUT_PIXELS);
  try {
    return await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'none', animated: false })
      .rotate()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: THUMBNAIL_WEBP_QUALITY })
      .toBuffer();
  } catch (err) {
    throw classifySharpError(err, bytes, sniffed, MAX_INPUT_PIXELS);
  }
}
