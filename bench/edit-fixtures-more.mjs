/**
 * More fixtures of `bench/edit-formats.mjs` (see `edit-fixtures.mjs`): an Express router in
 * JavaScript, a Go store with tab indentation, and a TypeScript report module.
 */
import { insertAfterBlock, insertAfterLine, renameInBlock, replaceOnce } from './edit-fixtures.mjs';

const cap = (s) => s[0].toUpperCase() + s.slice(1);

export function usersRouter() {
  const resources = ['user', 'team', 'project', 'token', 'session', 'webhook', 'invite'];
  const out = [
    "import express from 'express';",
    "import { z } from 'zod';",
    "import { requireAuth, requireRole } from '../middleware/auth.js';",
    "import { audit } from '../audit.js';",
    '',
    'export const router = express.Router();',
    'const PAGE_LIMIT = 100;',
    '',
    'function parseLimit(value) {',
    '  const limit = Number.parseInt(String(value ?? 20), 10);',
    '  return Number.isNaN(limit) ? 20 : Math.min(Math.max(limit, 1), PAGE_LIMIT);',
    '}',
    '',
  ];
  for (const r of resources) {
    const R = cap(r);
    out.push(
      `const ${R}Input = z.object({ name: z.string().min(1).max(200), description: z.string().default('') });`,
      '',
      `router.get('/${r}s', requireAuth, async (req, res, next) => {`,
      '  try {',
      '    const limit = parseLimit(req.query.limit);',
      `    const ${r}s = await req.app.locals.db.${r}s.list({ owner: req.user.id, limit, after: req.query.after });`,
      `    res.json({ items: ${r}s, next: ${r}s.length === limit ? ${r}s[${r}s.length - 1].id : null });`,
      '  } catch (error) {',
      '    next(error);',
      '  }',
      '});',
      '',
      `router.get('/${r}s/:id', requireAuth, async (req, res, next) => {`,
      '  try {',
      `    const ${r} = await req.app.locals.db.${r}s.get(req.params.id);`,
      `    if (!${r} || ${r}.ownerId !== req.user.id) return res.status(404).json({ error: '${r} not found' });`,
      `    res.json(${r});`,
      '  } catch (error) {',
      '    next(error);',
      '  }',
      '});',
      '',
      `router.post('/${r}s', requireAuth, async (req, res, next) => {`,
      '  try {',
      `    const input = ${R}Input.parse(req.body);`,
      `    const ${r} = await req.app.locals.db.${r}s.create({ ...input, ownerId: req.user.id });`,
      `    audit(req, 'create', '${r}', ${r}.id);`,
      `    res.status(201).json(${r});`,
      '  } catch (error) {',
      '    next(error);',
      '  }',
      '});',
      '',
      `router.delete('/${r}s/:id', requireAuth, requireRole('admin'), async (req, res, next) => {`,
      '  try {',
      `    const removed = await req.app.locals.db.${r}s.remove(req.params.id);`,
      `    if (!removed) return res.status(404).json({ error: '${r} not found' });`,
      `    audit(req, 'delete', '${r}', req.params.id);`,
      '    res.status(204).end();',
      '  } catch (error) {',
      '    next(error);',
      '  }',
      '});',
      '',
    );
  }
  return {
    path: 'server/routes/resources.js',
    content: out.join('\n'),
    changes: {
      'rename parameter': (t) => renameInBlock(t, 'function parseLimit(', 'value', 'raw'),
      'add guard clause': (t) =>
        insertAfterLine(
          t,
          "router.post('/projects', requireAuth",
          "  if (req.user.suspended) return res.status(403).json({ error: 'account suspended' });",
        ),
      'change constant': (t) => replaceOnce(t, 'const PAGE_LIMIT = 100;', 'const PAGE_LIMIT = 500;'),
      'add method': (t) =>
        insertAfterBlock(
          t,
          "router.get('/teams/:id', requireAuth",
          [
            "router.get('/teams/:id/members', requireAuth, async (req, res, next) => {",
            '  try {',
            '    res.json(await req.app.locals.db.teams.members(req.params.id));',
            '  } catch (error) {',
            '    next(error);',
            '  }',
            '});',
          ].join('\n'),
        ),
      'change message': (t) => replaceOnce(t, "return res.status(404).json({ error: 'token not found' });\n    audit", "return res.status(410).json({ error: 'token revoked or unknown' });\n    audit"),
    },
  };
}

export function goStore() {
  const kinds = ['account', 'order', 'invoice', 'webhook', 'apiKey', 'member'];
  const out = [
    'package store',
    '',
    'import (',
    '\t"context"',
    '\t"database/sql"',
    '\t"errors"',
    '\t"fmt"',
    '\t"time"',
    ')',
    '',
    '// ErrNotFound is returned when a record does not exist.',
    'var ErrNotFound = errors.New("store: not found")',
    '',
    'const queryTimeout = 5 * time.Second',
    '',
    '// Store reads and writes records in PostgreSQL.',
    'type Store struct {',
    '\tdb *sql.DB',
    '}',
    '',
    '// New returns a Store over db.',
    'func New(db *sql.DB) *Store {',
    '\treturn &Store{db: db}',
    '}',
    '',
  ];
  for (const k of kinds) {
    const K = cap(k);
    const table = `${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}s`;
    out.push(
      `// ${K} is one row of the ${table} table.`,
      `type ${K} struct {`,
      '\tID        string',
      '\tName      string',
      '\tCreatedAt time.Time',
      '}',
      '',
      `// Get${K} loads one ${k} by id.`,
      `func (s *Store) Get${K}(ctx context.Context, id string) (*${K}, error) {`,
      '\tctx, cancel := context.WithTimeout(ctx, queryTimeout)',
      '\tdefer cancel()',
      `\tvar v ${K}`,
      `\terr := s.db.QueryRowContext(ctx, "SELECT id, name, created_at FROM ${table} WHERE id = $1", id).Scan(&v.ID, &v.Name, &v.CreatedAt)`,
      '\tif errors.Is(err, sql.ErrNoRows) {',
      '\t\treturn nil, ErrNotFound',
      '\t}',
      '\tif err != nil {',
      `\t\treturn nil, fmt.Errorf("get ${k} %s: %w", id, err)`,
      '\t}',
      '\treturn &v, nil',
      '}',
      '',
      `// Put${K} inserts or updates a ${k}.`,
      `func (s *Store) Put${K}(ctx context.Context, v *${K}) error {`,
      '\tctx, cancel := context.WithTimeout(ctx, queryTimeout)',
      '\tdefer cancel()',
      '\t_, err := s.db.ExecContext(ctx,',
      `\t\t"INSERT INTO ${table} (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = $2",`,
      '\t\tv.ID, v.Name, v.CreatedAt)',
      '\tif err != nil {',
      `\t\treturn fmt.Errorf("put ${k} %s: %w", v.ID, err)`,
      '\t}',
      '\treturn nil',
      '}',
      '',
      `// Delete${K} removes a ${k}; deleting a missing ${k} is not an error.`,
      `func (s *Store) Delete${K}(ctx context.Context, id string) error {`,
      '\tctx, cancel := context.WithTimeout(ctx, queryTimeout)',
      '\tdefer cancel()',
      `\tif _, err := s.db.ExecContext(ctx, "DELETE FROM ${table} WHERE id = $1", id); err != nil {`,
      `\t\treturn fmt.Errorf("delete ${k} %s: %w", id, err)`,
      '\t}',
      '\treturn nil',
      '}',
      '',
    );
  }
  return {
    path: 'internal/store/store.go',
    content: out.join('\n'),
    changes: {
      'rename parameter': (t) => renameInBlock(t, 'func (s *Store) PutOrder(', 'v', 'order'),
      'add guard clause': (t) => insertAfterLine(t, 'func (s *Store) GetInvoice(', '\tif id == "" {\n\t\treturn nil, fmt.Errorf("get invoice: empty id")\n\t}'),
      'change constant': (t) => replaceOnce(t, 'const queryTimeout = 5 * time.Second', 'const queryTimeout = 2 * time.Second'),
      'add method': (t) =>
        insertAfterBlock(
          t,
          'func (s *Store) DeleteWebhook(',
          [
            '// CountWebhooks returns the number of webhooks.',
            'func (s *Store) CountWebhooks(ctx context.Context) (int, error) {',
            '\tvar n int',
            '\terr := s.db.QueryRowContext(ctx, "SELECT count(*) FROM webhooks").Scan(&n)',
            '\treturn n, err',
            '}',
          ].join('\n'),
        ),
      'change condition': (t) =>
        replaceOnce(
          t,
          '\t_, err := s.db.ExecContext(ctx,\n\t\t"INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = $2",',
          '\t_, err := s.db.ExecContext(ctx,\n\t\t"INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",',
        ),
    },
  };
}

export function reportModule() {
  const metrics = ['revenue', 'orders', 'refunds', 'visitors', 'signups', 'churn', 'tickets', 'sessions', 'pageviews'];
  const out = [
    "import type { Row } from './rows.js';",
    '',
    'export const DECIMALS = 2;',
    "export const EMPTY_CELL = '-';",
    '',
    'export interface Summary {',
    '  metric: string;',
    '  total: number;',
    '  mean: number;',
    '  min: number;',
    '  max: number;',
    '  count: number;',
    '}',
    '',
    'export interface SummaryOptions {',
    '  from?: Date;',
    '  to?: Date;',
    '  region?: string;',
    '}',
    '',
    'function inRange(row: Row, options: SummaryOptions): boolean {',
    '  if (options.from && row.date < options.from) return false;',
    '  if (options.to && row.date >= options.to) return false;',
    '  return options.region === undefined || row.region === options.region;',
    '}',
    '',
  ];
  for (const m of metrics) {
    const M = cap(m);
    out.push(
      `/** Sums up the ${m} column of the rows in range. */`,
      `export function summarize${M}(rows: Row[], options: SummaryOptions = {}): Summary {`,
      `  const values = rows.filter((row) => inRange(row, options)).map((row) => row.${m});`,
      `  if (values.length === 0) return { metric: '${m}', total: 0, mean: 0, min: 0, max: 0, count: 0 };`,
      '  const total = values.reduce((sum, value) => sum + value, 0);',
      '  return {',
      `    metric: '${m}',`,
      '    total,',
      '    mean: total / values.length,',
      '    min: Math.min(...values),',
      '    max: Math.max(...values),',
      '    count: values.length,',
      '  };',
      '}',
      '',
      `/** Formats a ${m} summary as a table row. */`,
      `export function format${M}Row(summary: Summary): string[] {`,
      `  if (summary.count === 0) return ['${m}', EMPTY_CELL, EMPTY_CELL, EMPTY_CELL];`,
      '  return [',
      `    '${m}',`,
      '    summary.total.toFixed(DECIMALS),',
      '    summary.mean.toFixed(DECIMALS),',
      '    `${summary.min.toFixed(DECIMALS)}..${summary.max.toFixed(DECIMALS)}`,',
      '  ];',
      '}',
      '',
    );
  }
  return {
    path: 'src/report/summaries.ts',
    content: out.join('\n'),
    changes: {
      'rename parameter': (t) => renameInBlock(t, 'export function summarizeRefunds(', 'options', 'range'),
      'add guard clause': (t) =>
        insertAfterLine(t, 'export function formatChurnRow(', "  if (!Number.isFinite(summary.total)) throw new RangeError('churn total is not finite');"),
      'change constant': (t) => replaceOnce(t, 'export const DECIMALS = 2;', 'export const DECIMALS = 1;'),
      'add method': (t) =>
        insertAfterBlock(
          t,
          'export function formatSignupsRow(',
          [
            '/** The signups per visitor, or 0 without visitors. */',
            'export function signupRate(signups: Summary, visitors: Summary): number {',
            '  return visitors.total === 0 ? 0 : signups.total / visitors.total;',
            '}',
          ].join('\n'),
        ),
      'change condition': (t) =>
        replaceOnce(t, '  if (options.to && row.date >= options.to) return false;', '  if (options.to && row.date > options.to) return false;'),
    },
  };
}
