/**
 * Fixtures of `bench/edit-formats.mjs`: five source files of 220 to 400 lines in four languages,
 * built deterministically from entity lists (no randomness), and five small changes to each, of
 * the kinds a coding task makes: rename a parameter in one function, add a guard clause, change a
 * constant, add a function or method, change a condition or a message. Every change is a function
 * from the original text to the new text and throws when its anchor is not found exactly once.
 */

const cap = (s) => s[0].toUpperCase() + s.slice(1);

/** `text` with the single occurrence of `from` replaced; throws unless `from` occurs exactly once. */
export function replaceOnce(text, from, to) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`fixture anchor must occur once: ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** Line range [start, end] of the block whose first line contains `header` (braces, or Python indentation). */
function blockRange(lines, header) {
  const starts = lines.flatMap((line, i) => (line.includes(header) ? [i] : []));
  if (starts.length !== 1) throw new Error(`fixture block header must occur once: ${header} (${starts.length})`);
  const start = starts[0];
  if (lines[start].trimEnd().endsWith(':')) {
    const indent = /^\s*/.exec(lines[start])[0].length;
    let end = start + 1;
    while (end + 1 < lines.length && (lines[end + 1].trim() === '' || /^\s*/.exec(lines[end + 1])[0].length > indent)) end++;
    while (lines[end].trim() === '') end--;
    return [start, end];
  }
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    for (const ch of lines[i]) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    if (depth === 0 && i > start) return [start, i];
  }
  throw new Error(`fixture block not closed: ${header}`);
}

/** Renames the identifier `from` to `to` inside the block that starts at `header`. */
export function renameInBlock(text, header, from, to) {
  const lines = text.split('\n');
  const [start, end] = blockRange(lines, header);
  const word = new RegExp(`\\b${from}\\b`, 'g');
  for (let i = start; i <= end; i++) lines[i] = lines[i].replace(word, to);
  return lines.join('\n');
}

/** Inserts `insertion` (lines, no trailing newline) after the line that contains `anchor` (must be unique). */
export function insertAfterLine(text, anchor, insertion) {
  const lines = text.split('\n');
  const at = lines.flatMap((line, i) => (line.includes(anchor) ? [i] : []));
  if (at.length !== 1) throw new Error(`fixture anchor line must occur once: ${anchor} (${at.length})`);
  lines.splice(at[0] + 1, 0, ...insertion.split('\n'));
  return lines.join('\n');
}

/** Inserts `insertion` after the end of the block that starts at `header`, separated by a blank line. */
export function insertAfterBlock(text, header, insertion) {
  const lines = text.split('\n');
  const [, end] = blockRange(lines, header);
  lines.splice(end + 1, 0, '', ...insertion.split('\n'));
  return lines.join('\n');
}

function inventoryService() {
  const entities = ['product', 'warehouse', 'supplier', 'reservation', 'shipment', 'stockCount', 'category'];
  const out = [
    "import { EventEmitter } from 'node:events';",
    "import type { Database, Transaction } from '../db/database.js';",
    "import { NotFoundError, ValidationError } from '../errors.js';",
    "import { logger } from '../logger.js';",
    '',
    'export const MAX_BATCH_SIZE = 100;',
    'export const DEFAULT_PAGE_SIZE = 25;',
    'export const RESERVATION_TTL_MS = 15 * 60 * 1000;',
    '',
    'export interface Page<T> {',
    '  items: T[];',
    '  nextCursor: string | null;',
    '}',
    '',
  ];
  for (const e of entities) {
    const E = cap(e);
    out.push(
      `export interface ${E} {`,
      '  id: string;',
      '  name: string;',
      '  version: number;',
      '  updatedAt: Date;',
      '}',
      '',
    );
  }
  out.push('export class InventoryService extends EventEmitter {', '  constructor(private readonly db: Database) {', '    super();', '  }', '');
  for (const e of entities) {
    const E = cap(e);
    const table = `${e.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}s`;
    out.push(
      `  async get${E}(id: string): Promise<${E}> {`,
      `    const row = await this.db.queryOne<${E}>('SELECT * FROM ${table} WHERE id = $1', [id]);`,
      `    if (!row) throw new NotFoundError('${e}', id);`,
      '    return row;',
      '  }',
      '',
      `  async list${E}s(cursor: string | null, limit = DEFAULT_PAGE_SIZE): Promise<Page<${E}>> {`,
      `    const rows = await this.db.query<${E}>(`,
      `      'SELECT * FROM ${table} WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2',`,
      '      [cursor, limit + 1],',
      '    );',
      '    const items = rows.slice(0, limit);',
      '    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };',
      '  }',
      '',
      `  async update${E}(id: string, patch: Partial<${E}>, expectedVersion: number): Promise<${E}> {`,
      `    return this.db.transaction(async (tx: Transaction) => {`,
      `      const current = await tx.queryOne<${E}>('SELECT * FROM ${table} WHERE id = $1 FOR UPDATE', [id]);`,
      `      if (!current) throw new NotFoundError('${e}', id);`,
      `      if (current.version !== expectedVersion) throw new ValidationError('${e} was changed by someone else');`,
      '      const next = { ...current, ...patch, version: current.version + 1, updatedAt: new Date() };',
      `      await tx.execute('UPDATE ${table} SET data = $2 WHERE id = $1', [id, next]);`,
      `      this.emit('${e}:updated', next);`,
      '      return next;',
      '    });',
      '  }',
      '',
      `  async delete${E}s(ids: string[]): Promise<number> {`,
      `    if (ids.length > MAX_BATCH_SIZE) throw new ValidationError(\`at most \${MAX_BATCH_SIZE} ids per call\`);`,
      `    const deleted = await this.db.execute('DELETE FROM ${table} WHERE id = ANY($1)', [ids]);`,
      `    logger.info({ deleted, kind: '${e}' }, 'deleted ${e}s');`,
      '    return deleted;',
      '  }',
      '',
    );
  }
  out.push('}', '');
  const path = 'src/inventory/inventory-service.ts';
  return {
    path,
    content: out.join('\n'),
    changes: {
      'rename parameter': (t) => renameInBlock(t, 'async updateShipment(', 'expectedVersion', 'ifVersion'),
      'add guard clause': (t) =>
        insertAfterLine(t, 'async getSupplier(id: string)', "    if (id.trim() === '') throw new ValidationError('supplier id must not be empty');"),
      'change constant': (t) => replaceOnce(t, 'export const MAX_BATCH_SIZE = 100;', 'export const MAX_BATCH_SIZE = 250;'),
      'add method': (t) =>
        insertAfterBlock(
          t,
          'async getWarehouse(id: string)',
          [
            '  async warehouseExists(id: string): Promise<boolean> {',
            "    const row = await this.db.queryOne<{ id: string }>('SELECT id FROM warehouses WHERE id = $1', [id]);",
            '    return row !== null;',
            '  }',
          ].join('\n'),
        ),
      'change message': (t) => replaceOnce(t, "logger.info({ deleted, kind: 'reservation' }, 'deleted reservations');", "logger.warn({ deleted, kind: 'reservation' }, 'released reservations');"),
    },
  };
}

function invoicesPy() {
  const entities = ['invoice', 'line_item', 'payment', 'credit_note', 'tax_rate', 'refund', 'subscription'];
  const out = [
    '"""Billing: invoices, payments and credit notes stored in PostgreSQL."""',
    '',
    'from __future__ import annotations',
    '',
    'import logging',
    'from dataclasses import dataclass, field',
    'from datetime import datetime, timezone',
    'from decimal import Decimal',
    '',
    'log = logging.getLogger(__name__)',
    '',
    'DEFAULT_LIMIT = 50',
    'ROUNDING = Decimal("0.01")',
    'OVERDUE_AFTER_DAYS = 30',
    '',
    '',
    'class BillingError(Exception):',
    '    """Raised when a billing record is missing or inconsistent."""',
    '',
  ];
  for (const e of entities) {
    const E = e.split('_').map(cap).join('');
    out.push(
      '',
      '@dataclass',
      `class ${E}:`,
      '    id: str',
      '    customer_id: str',
      '    amount: Decimal',
      '    currency: str = "EUR"',
      '    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))',
      '',
      '',
      `def load_${e}(conn, ${e}_id: str) -> ${E}:`,
      `    row = conn.execute("SELECT * FROM ${e}s WHERE id = %s", (${e}_id,)).fetchone()`,
      '    if row is None:',
      `        raise BillingError(f"${e.replace('_', ' ')} {${e}_id} not found")`,
      `    return ${E}(**row)`,
      '',
      '',
      `def list_${e}s(conn, customer_id: str, limit: int = DEFAULT_LIMIT) -> list[${E}]:`,
      '    rows = conn.execute(',
      `        "SELECT * FROM ${e}s WHERE customer_id = %s ORDER BY created_at DESC LIMIT %s",`,
      '        (customer_id, limit),',
      '    ).fetchall()',
      `    return [${E}(**row) for row in rows]`,
      '',
      '',
      `def total_${e}s(items: list[${E}], currency: str) -> Decimal:`,
      '    total = Decimal("0")',
      '    for item in items:',
      '        if item.currency != currency:',
      `            raise BillingError(f"cannot add {item.currency} to {currency}")`,
      '        total += item.amount',
      '    return total.quantize(ROUNDING)',
    );
  }
  out.push('');
  return {
    path: 'app/billing/records.py',
    content: out.join('\n'),
    changes: {
      'rename parameter': (t) => renameInBlock(t, 'def total_payments(', 'currency', 'target_currency'),
      'add guard clause': (t) =>
        insertAfterLine(t, 'def list_refunds(conn, customer_id: str', '    if limit <= 0:\n        raise ValueError("limit must be positive")'),
      'change constant': (t) => replaceOnce(t, 'OVERDUE_AFTER_DAYS = 30', 'OVERDUE_AFTER_DAYS = 45'),
      'add method': (t) =>
        insertAfterBlock(
          t,
          'def load_credit_note(',
          [
            '',
            'def credit_note_exists(conn, credit_note_id: str) -> bool:',
            '    row = conn.execute("SELECT 1 FROM credit_notes WHERE id = %s", (credit_note_id,)).fetchone()',
            '    return row is not None',
          ].join('\n'),
        ),
      'change condition': (t) =>
        replaceOnce(
          t,
          '    rows = conn.execute(\n        "SELECT * FROM tax_rates WHERE customer_id = %s ORDER BY created_at DESC LIMIT %s",',
          '    rows = conn.execute(\n        "SELECT * FROM tax_rates WHERE customer_id = %s AND active ORDER BY created_at DESC LIMIT %s",',
        ),
    },
  };
}

export { inventoryService, invoicesPy };
