import type { Json } from '../core/json.js';

/**
 * Binary media inside node outputs (issue 16: `image`, `speech`, `screenshot`), kept out of secret
 * redaction. The store redacts every string of an output (`security/redact.ts`); base64 text can
 * happen to contain what looks like a key (`AIza` + 35 characters of the base64 alphabet), and
 * redacting it would corrupt the stored bytes. A `data` string is exempt only when it is the
 * payload of a media object: its sibling `mediaType` is `image/*` or `audio/*`, it is strict
 * base64, and its decoded bytes start with the signature of such a file (PNG, JPEG, GIF, WebP,
 * WAV, MP3, Ogg, FLAC, AAC, MP4/M4A, WebM) — so a key pasted into a `data` field is still redacted.
 * Signatures: the formats' specifications (PNG RFC 2083 §3.1, JFIF, GIF89a, RIFF/WebP, RIFF/WAVE,
 * ID3v2 and the MPEG frame sync, Ogg RFC 3533, fLaC, ADTS, ISO BMFF `ftyp`, EBML).
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True when `bytes` begin like an image or audio file of a common format. */
function looksLikeMedia(bytes: Buffer): boolean {
  const at = (offset: number, ...sig: number[]) => sig.every((b, i) => bytes[offset + i] === b);
  const ascii = (offset: number, text: string) => bytes.subarray(offset, offset + text.length).toString('latin1') === text;
  return (
    at(0, 0x89, 0x50, 0x4e, 0x47) || // PNG
    at(0, 0xff, 0xd8, 0xff) || // JPEG
    ascii(0, 'GIF8') ||
    (ascii(0, 'RIFF') && (ascii(8, 'WEBP') || ascii(8, 'WAVE'))) ||
    ascii(0, 'ID3') || // MP3 with ID3v2
    (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) || // MPEG audio frame sync, ADTS AAC
    ascii(0, 'OggS') ||
    ascii(0, 'fLaC') ||
    ascii(4, 'ftyp') || // MP4 / M4A
    at(0, 0x1a, 0x45, 0xdf, 0xa3) // WebM / Matroska (EBML)
  );
}

/** True when `value` is `{ mediaType: 'image/…' | 'audio/…', data: <base64 of such a file>, … }`. */
function isMediaObject(value: Record<string, Json>): boolean {
  const { mediaType, data } = value;
  if (typeof mediaType !== 'string' || !/^(image|audio)\//.test(mediaType) || typeof data !== 'string') return false;
  if (data.length < 16 || data.length % 4 !== 0 || !BASE64.test(data)) return false;
  return looksLikeMedia(Buffer.from(data.slice(0, 24), 'base64'));
}

/** An output with its media payloads swapped for placeholders, and how to put them back. */
export interface LiftedOutput {
  /** the output with each media `data` replaced by `\u0000binary:<n>` (a text no secret pattern matches) */
  value: Json;
  /** the payloads, by placeholder number */
  parts: string[];
}

/**
 * Swaps every media payload of `output` (see the file comment) for a placeholder.
 * @returns undefined when the output holds none (the common case: nothing is copied)
 */
export function liftBinaryParts(output: Json): LiftedOutput | undefined {
  const parts: string[] = [];
  const walk = (v: Json, depth: number): Json => {
    if (depth > 32 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((x) => {
        const y = walk(x, depth + 1);
        if (y !== x) changed = true;
        return y;
      });
      return changed ? out : v;
    }
    if (isMediaObject(v)) {
      parts.push(v['data'] as string);
      return { ...v, data: `\u0000binary:${parts.length - 1}` };
    }
    let changed = false;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = walk(x, depth + 1);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : v;
  };
  const value = walk(output, 0);
  return parts.length > 0 ? { value, parts } : undefined;
}

/** Puts the payloads {@link liftBinaryParts} took back into a (redacted) copy of the output. */
export function restoreBinaryParts(value: Json, parts: readonly string[]): Json {
  const walk = (v: Json): Json => {
    if (typeof v === 'string') {
      const m = /^\u0000binary:(\d+)$/.exec(v);
      return m && parts[Number(m[1])] !== undefined ? parts[Number(m[1])]! : v;
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}
