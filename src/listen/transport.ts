/**
 * How the dispatcher reaches a `hooklane listen` CLI: the attempt's fully signed request (the same
 * headers and bytes an HTTP receiver would get) is pushed down the listener's stream, and the
 * local app's answer, reported back by the CLI, becomes the attempt. So a local 500, a local app
 * that is down, or a CLI that is not connected to this process is a failed attempt, and the
 * webhook's ordinary retry policy applies.
 */
import { performance } from 'node:perf_hooks';
import { newId } from '../domain/ids.js';
import { errorClassForStatus } from '../domain/outcome.js';
import type { ErrorClass } from '../domain/types.js';
import {
  buildRequest,
  RESPONSE_BODY_LIMIT,
  type DeliveryTransport,
  type SendResult,
  type TransportResolver,
} from '../delivery/sender.js';
import type { ClaimedDelivery } from '../store/types.js';
import type { ListenerHub, PushOutcome } from './hub.js';

export class ListenerTransport implements DeliveryTransport {
  constructor(private readonly hub: ListenerHub) {}

  async send(claimed: ClaimedDelivery, attemptNumber: number, now: number): Promise<SendResult> {
    const { delivery, webhook, event } = claimed;
    const listenerId = webhook.listener_id;
    const req = buildRequest(claimed, attemptNumber, now);
    const attemptId = newId('attempt', now);
    const started = performance.now();
    const outcome: PushOutcome =
      listenerId === null
        ? { kind: 'not_connected' }
        : await this.hub.push(
            listenerId,
            {
              request_id: attemptId,
              delivery_id: delivery.id,
              event_id: event.id,
              event_type: event.type,
              attempt: attemptNumber,
              webhook_id: webhook.id,
              timeout_ms: webhook.timeout_ms,
              headers: req.headers,
              body_base64: Buffer.from(req.body).toString('base64'),
            },
            // the CLI's own request to the local app is bounded by timeout_ms; its report needs a moment more
            webhook.timeout_ms + 1000,
          );

    let status: number | null = null;
    let body: string | null = null;
    let error: string | null = null;
    let errorClass: ErrorClass | null = null;
    let retryAfter: string | undefined;
    let durationMs = Math.ceil(performance.now() - started);
    switch (outcome.kind) {
      case 'not_connected':
        errorClass = 'connect';
        error =
          `hooklane listen (${listenerId ?? 'no listener'}) is not connected to this server process; ` +
          'listen needs the process that serves its stream to deliver too (role all)';
        break;
      case 'timeout':
        errorClass = 'timeout';
        error = `no answer from hooklane listen within ${webhook.timeout_ms} ms`;
        break;
      case 'answered': {
        const r = outcome.result;
        status = r.status;
        body = r.body === null ? null : r.body.slice(0, RESPONSE_BODY_LIMIT);
        error = r.error;
        errorClass = status !== null ? errorClassForStatus(status) : (r.error_class ?? 'other');
        // the local app's own time, as the CLI measured it, is what the developer wants to see
        durationMs = r.duration_ms;
        retryAfter = r.retry_after ?? undefined;
        break;
      }
    }
    return {
      retryAfter,
      attempt: {
        tenant_id: delivery.tenant_id,
        id: attemptId,
        delivery_id: delivery.id,
        event_id: delivery.event_id,
        webhook_id: webhook.id,
        attempt_number: attemptNumber,
        started_at: now,
        duration_ms: durationMs,
        url: webhook.url,
        request_headers: req.recorded,
        response_status: status,
        response_body: body,
        error,
        error_class: errorClass,
        succeeded: status !== null && status >= 200 && status < 300,
      },
    };
  }
}

/** Listener webhooks go through the hub; every other webhook through `http`. */
export function listenerAwareTransport(hub: ListenerHub, http: DeliveryTransport): TransportResolver {
  const listener = new ListenerTransport(hub);
  return (webhook) => (webhook.listener_id !== null ? listener : http);
}
