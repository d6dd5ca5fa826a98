import { TaskgraphError } from '../core/errors.js';
import { canonicalJson, sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { secretRedactor } from '../security/redact.js';
import { BLOB_THRESHOLD_BYTES } from './store.js';
import { liftBinaryParts, restoreBinaryParts } from './binary-parts.js';

/**
 * How the SQLite store keeps node outputs (schema in `migrations.ts`, version 2): an output whose
 * JSON text is at most {@link BLOB_THRESHOLD_BYTES} bytes (UTF-8) sits inline in the row's
 * `output` column; a larger one is stored once in `blobs` under the SHA-256 of its canonical JSON
 * (RFC 8785, `canonicalJson` from `core/hash.ts`) and the row's `output_blob` names it. Equal
 * outputs (as JSON values, whatever their key order) share one blob.
 */

/** A blob row to insert (`INSERT OR IGNORE`, so writing it twice is harmless). */
export interface BlobRow {
  /** SHA-256 hex of `data` */
  hash: string;
  /** bytes of `data` */
  size: number;
  /** canonical JSON text of the output, UTF-8 */
  data: Buffer;
}

/** An output as stored: exactly one of `text`/`blob` is set, or neither when there is no output. */
export interface EncodedOutput {
  /** the `output` column: JSON text, or NULL */
  text: string | null;
  /** the `output_blob` column: hash of the blob holding the output, or NULL */
  blobHash: string | null;
  /** the blob to write before the row, when the output is large */
  blob?: BlobRow;
}

const NO_OUTPUT: EncodedOutput = { text: null, blobHash: null };

/**
 * UTF-8 size of `text` in bytes, without encoding it when its length alone decides: a UTF-16
 * code unit takes 1 to 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4), so
 * `length <= bytes <= 3 * length`.
 */
function exceedsThreshold(text: string): boolean {
  if (text.length > BLOB_THRESHOLD_BYTES) return true;
  if (text.length * 3 <= BLOB_THRESHOLD_BYTES) return false;
  return Buffer.byteLength(text, 'utf8') > BLOB_THRESHOLD_BYTES;
}

/**
 * Encodes an output for a row. Small outputs cost one `JSON.stringify` and one scan for secrets;
 * large ones are also canonicalised and hashed (SHA-256). Secrets in the output's strings are
 * redacted first (`security/redact.ts`), so neither the row nor the blob holds one — except in
 * the base64 payloads of image and audio objects (`binary-parts.ts`), which redaction would corrupt.
 * @param output the output, or `undefined` for none (both columns NULL)
 * @throws TypeError when the value is not JSON-serialisable (e.g. a BigInt)
 */
export function encodeOutput(output: Json | undefined): EncodedOutput {
  if (output === undefined) return NO_OUTPUT;
  // image and audio payloads (base64) are not redacted: a key-shaped run inside them is bytes, not a secret
  const lifted = liftBinaryParts(output);
  const redacted = secretRedactor().redactJson(lifted ? lifted.value : output);
  output = lifted && typeof redacted.value !== 'string' ? restoreBinaryParts(redacted.value, lifted.parts) : (redacted.value as Json);
  const text = lifted && typeof redacted.value !== 'string' ? JSON.stringify(output) : redacted.text;
  if (!exceedsThreshold(text)) return { text, blobHash: null };
  const data = Buffer.from(canonicalJson(output), 'utf8');
  const hash = sha256(data);
  return { text: null, blobHash: hash, blob: { hash, size: data.length, data } };
}

/**
 * Decodes the output columns of a row read with its blob joined in.
 * @param text the `output` column
 * @param blobHash the `output_blob` column
 * @param blobData the joined `blobs.data` (NULL when the blob row is missing)
 * @param where names the row, for the error
 * @returns the output, or `undefined` when the row has none
 * @throws TaskgraphError STORE_ERROR when the row names a blob that is not in the database (the
 *   schema's foreign key prevents this; seeing it means the file was edited or damaged)
 */
export function decodeOutput(text: string | null, blobHash: string | null, blobData: Buffer | null, where: string): Json | undefined {
  if (text !== null) return JSON.parse(text) as Json;
  if (blobHash === null) return undefined;
  if (blobData === null) {
    throw new TaskgraphError('STORE_ERROR', `${where}: output blob ${blobHash} is missing from the database`, {
      details: { blob: blobHash },
      hint: 'the database file was modified outside taskgraph or is damaged; run `PRAGMA foreign_key_check` on it, or restore a backup',
    });
  }
  return JSON.parse(blobData.toString('utf8')) as Json;
}
