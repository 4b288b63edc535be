import type { Digest } from './digest.js';
import { digestJson } from './json-format.js';

/**
 * CloudEvents 1.0 in structured mode (`application/cloudevents+json`): the context
 * attributes around the `json` format's document as `data`.
 */
export function renderCloudEvent(digest: Digest, publicUrl: string): { contentType: string; body: string } {
  const event = {
    specversion: '1.0',
    id: digest.id,
    source: digest.config ? `${publicUrl}/configs/${digest.config.id}` : `${publicUrl}/subscriptions/${digest.subscriptionId}`,
    type: `ecrscan.${digest.kind}.digest`,
    ...(digest.config ? { subject: `${digest.config.registry}/${digest.config.repository}` } : {}),
    time: digest.time.toISOString(),
    datacontenttype: 'application/json',
    data: digestJson(digest),
  };
  return { contentType: 'application/cloudevents+json', body: JSON.stringify(event) };
}
