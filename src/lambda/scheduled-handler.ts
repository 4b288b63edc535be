import { Compile } from 'typebox/compile';
import { createLogger } from '../logger.js';
import { createScanners, type ScannerStore } from '../scanners/create-scanners.js';
import { type CycleReport, runServiceCycle } from '../service-cycle.js';
import { type LambdaOptions, type LambdaService, prepareLambdaService } from './lambda-service.js';
import { ScheduledEvent } from './schedule-event.js';

const scheduledEvent = Compile(ScheduledEvent);

/** The part of the Lambda context a cycle needs: how long the invocation may still run. */
export interface ScheduledContext {
  getRemainingTimeInMillis(): number;
}

export type ScheduledHandler = (event: unknown, context: ScheduledContext) => Promise<CycleReport>;

/**
 * The scheduler as a Lambda function that EventBridge Scheduler invokes every few minutes:
 * each invocation runs one bounded cycle (see `runServiceCycle`) within the time the
 * invocation has left, and returns before its timeout. The configuration is read once per
 * cold start; the store is opened and closed by each cycle, so that no connection is left
 * to go stale while the function sleeps between invocations.
 */
export function createScheduledHandler(options: LambdaOptions): ScheduledHandler {
  let prepared = preparing(options);
  return async (event, context) => {
    let service: LambdaService;
    try {
      service = await prepared;
    } catch (err) {
      // No configuration, so no configured logger; the next invocation reads the configuration again.
      createLogger('info', options.logDestination).error({ err }, 'cold start failed');
      prepared = preparing(options);
      throw err;
    }
    const { config, logger } = service;
    if (!scheduledEvent.Check(event)) {
      // Refused rather than run: an invocation from elsewhere is a mistake to see in the log, not a cycle.
      logger.error({ event: summarise(event) }, 'not a scheduler event: nothing done');
      throw new Error('the scheduled function takes only its schedule\'s event ({"source":"ecrscan.schedule",…})');
    }
    const deps = { logger, scanners: (store: ScannerStore) => createScanners({ store, config, logger }) };
    try {
      const report = await runServiceCycle(config, deps, context.getRemainingTimeInMillis());
      logger.info({ ...report, scheduledTime: event.scheduledTime, executionId: event.executionId }, 'cycle finished');
      return report;
    } catch (err) {
      logger.error({ err, scheduledTime: event.scheduledTime, executionId: event.executionId }, 'cycle failed');
      throw err;
    }
  };
}

function preparing(options: LambdaOptions): Promise<LambdaService> {
  const prepared = prepareLambdaService('scheduler', options);
  prepared.catch(() => undefined);
  return prepared;
}

function summarise(event: unknown): string {
  const text = JSON.stringify(event) ?? String(event);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
