import { randomBytes } from 'node:crypto';
import { SCHEDULE_INPUT } from '../../src/lambda/schedule-event.js';

/** The stack's schedule input as EventBridge Scheduler delivers it: every context attribute replaced by its value. */
export function schedulerEvent(at = new Date()): Record<string, string> {
  const values: Record<string, string> = {
    '<aws.scheduler.schedule-arn>': 'arn:aws:scheduler:us-east-2:123456789012:schedule/default/ecr-continuous-scan-Cycle',
    '<aws.scheduler.scheduled-time>': at.toISOString().replace(/\.[0-9]{3}Z$/, 'Z'),
    '<aws.scheduler.execution-id>': randomBytes(8).toString('hex'),
    '<aws.scheduler.attempt-number>': '1',
  };
  return Object.fromEntries(Object.entries(SCHEDULE_INPUT).map(([key, value]) => [key, values[value] ?? value]));
}
