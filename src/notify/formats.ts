import type { SubscriptionFormat } from '../domain/subscription.js';
import { renderCloudEvent } from './cloudevents-format.js';
import type { Digest } from './digest.js';
import { renderJson } from './json-format.js';
import { renderSlack } from './slack-format.js';

export interface RenderedMessage {
  contentType: string;
  body: string;
}

/** Every format a subscription may choose, listed explicitly. */
export const FORMATS: Record<SubscriptionFormat, (digest: Digest, publicUrl: string) => RenderedMessage> = {
  json: (digest) => renderJson(digest),
  slack: (digest) => renderSlack(digest),
  cloudevents: (digest, publicUrl) => renderCloudEvent(digest, publicUrl),
};
