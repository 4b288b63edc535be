import Type, { type Static } from 'typebox';

/**
 * What the stack's EventBridge Scheduler schedule sends the scheduled function: this
 * object, its context attributes (`<aws.scheduler.scheduled-time>`, …) replaced by the
 * Scheduler at each invocation. The stack and the handler share it, so they cannot drift.
 */
export const SCHEDULE_INPUT = {
  source: 'ecrscan.schedule',
  scheduleArn: '<aws.scheduler.schedule-arn>',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attempt: '<aws.scheduler.attempt-number>',
} as const;

export const ScheduledEvent = Type.Object({
  source: Type.Literal(SCHEDULE_INPUT.source),
  scheduleArn: Type.Optional(Type.String()),
  scheduledTime: Type.Optional(Type.String()),
  executionId: Type.Optional(Type.String()),
  attempt: Type.Optional(Type.String()),
});
export type ScheduledEvent = Static<typeof ScheduledEvent>;
