import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { suppressionsFromVex, VexDocumentError, vexFromSuppressions } from '../../triage/openvex/openvex.js';
import { isActive } from '../../triage/suppression.js';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../app.js';
import { NoQuery } from '../schemas.js';
import { VexDocumentBody, VexExport, VexImportResult } from '../suppression-schemas.js';

const TAGS = ['suppressions'];

export function registerVexRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store, clock } = deps;

  app.post<{ Body: Record<string, unknown> }>('/vex', {
    schema: {
      operationId: 'importVex',
      tags: TAGS,
      summary: 'Import an OpenVEX document as suppressions',
      description:
        'Each `not_affected` or `fixed` statement (and `affected` with status_notes `accepted_risk` or `will_not_fix`, as exported) becomes a suppression per product: a package URL narrows it to a package, an OCI purl or image reference to a repository and tag. Ids come from the document id, vulnerability and product, so a later version of the document replaces what the earlier made. A document that is not valid OpenVEX 0.2 is a 400 naming the statement, and nothing changes. Like every body, at most 64 KiB: split a larger document.',
      body: VexDocumentBody,
      response: { 200: VexImportResult },
    },
    handler: async (request) => {
      let imported;
      try {
        imported = suppressionsFromVex(request.body);
      } catch (err) {
        if (err instanceof VexDocumentError) throw new AppError('VALIDATION_FAILED', err.message, [{ field: err.field, message: err.message }]);
        throw err;
      }
      const result = await store.putSuppressions(imported.suppressions, request.principal?.name ?? null, clock.now());
      request.log.info({ created: result.created.length, updated: result.updated.length, skipped: imported.skipped.length }, 'OpenVEX document imported');
      return { ...result, skipped: imported.skipped };
    },
  });

  app.get('/vex', {
    schema: {
      operationId: 'exportVex',
      tags: TAGS,
      summary: 'The active suppressions as an OpenVEX document',
      description: 'Statuses OpenVEX lacks travel in `status_notes` (`false_positive`, `accepted_risk`, `will_not_fix`), so that importing the export gives the same suppressions back.',
      querystring: NoQuery,
      response: { 200: VexExport },
    },
    handler: async () => {
      const now = clock.now();
      const active = (await store.listSuppressions()).filter((suppression) => isActive(suppression, now));
      return vexFromSuppressions(active, { author: 'ecr-continuous-scan', tooling: `ecr-continuous-scan ${VERSION}`, now });
    },
  });
}
