/**
 * Redaction moved to `src/security/redact.ts` (one redactor for every boundary); re-exported
 * here for the report code and older imports.
 */
export { MIN_SECRET_LENGTH, REDACTED, SECRET_ENV_NAME, redactSecrets } from '../security/redact.js';
