import { TaskgraphError } from '../core/errors.js';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDelivery, type WebhookDeliveryStatus } from '../store/webhook-deliveries.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph webhooks deliveries [--status S] [--limit N] [--json]` (issue 13): the webhook outbox,
 * oldest first — each delivery's event, receiver, status, attempts, next try and last error.
 * Opening the project starts the delivery worker, so this command also delivers what is due.
 */

/** Options of {@link webhookDeliveriesCommand}. */
export interface WebhookDeliveriesOptions extends CommonOptions {
  status?: string;
  limit?: number;
}

/**
 * Prints the outbox as lines or, with `--json`, as a JSON array of {@link WebhookDelivery} (body included).
 * @returns exit code 0
 * @throws TaskgraphError CONFIG_INVALID for an unknown `--status`
 */
export async function webhookDeliveriesCommand(opts: WebhookDeliveriesOptions): Promise<number> {
  if (opts.status !== undefined && !WEBHOOK_DELIVERY_STATUSES.includes(opts.status as WebhookDeliveryStatus)) {
    throw new TaskgraphError('CONFIG_INVALID', `unknown delivery status "${opts.status}"`, { details: { status: opts.status }, hint: `use one of: ${WEBHOOK_DELIVERY_STATUSES.join(', ')}` });
  }
  return withProject(opts, async (project) => {
    const rows = await project.store.listWebhookDeliveries({
      ...(opts.status !== undefined ? { status: opts.status as WebhookDeliveryStatus } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
    if (opts.json) process.stdout.write(`${safeJson(rows)}\n`);
    else process.stdout.write(`${safeText(rows.length === 0 ? 'no webhook deliveries' : rows.map(deliveryLine).join('\n'))}\n`);
    return 0;
  });
}

/**
 * One delivery as a line: `id  time  event  status  attempts N  [next time]  url  [— last error]`.
 * @param row a stored delivery
 */
export function deliveryLine(row: WebhookDelivery): string {
  const next = row.status === 'pending' ? `  next ${new Date(row.nextAt).toISOString()}` : '';
  const error = row.lastError ? `  — ${row.lastError}` : '';
  return `${row.id}  ${new Date(row.createdAt).toISOString()}  ${row.event}  ${row.status}  attempts ${row.attempts}${next}  ${row.url}${error}`;
}
