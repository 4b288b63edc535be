import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ConfigState } from '../../domain/scan-config.js';
import { AppError } from '../../errors.js';
import { cycloneDxSbom } from '../../exports/cyclonedx-sbom.js';
import type { ExportedImage } from '../../exports/export-inputs.js';
import { spdxSbom } from '../../exports/spdx-sbom.js';
import { repositoryOf } from '../../scanners/builtin/image-list.js';
import type { InventoryReader, KeptInventory } from '../../scanners/builtin/inventory-cache.js';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../app.js';
import { StringEnum } from '../schemas.js';

export const CYCLONEDX_TYPE = 'application/vnd.cyclonedx+json';
export const SPDX_TYPE = 'application/spdx+json';
const SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;
type SbomFormat = (typeof SBOM_FORMATS)[number];

const TAGS = ['images'];
const TOOL = { name: 'ecr-continuous-scan', version: VERSION };

const SbomQuery = Type.Object(
  { format: Type.Optional(StringEnum(SBOM_FORMATS, { description: '`cyclonedx` (CycloneDX 1.6 JSON, the default) or `spdx` (SPDX 2.3 JSON)' })) },
  { additionalProperties: false },
);
const DigestParams = Type.Object(
  { digest: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'the image digest (what a tag points at), `sha256:` and 64 hex digits' }) },
  { additionalProperties: false },
);
const TagParams = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024, description: 'configuration id (a UUID)' }),
    tag: Type.String({ minLength: 1, maxLength: 128, description: 'a tag the configuration scans' }),
  },
  { additionalProperties: false },
);
const CycloneDxBom = Type.Object(
  { bomFormat: Type.Literal('CycloneDX'), specVersion: Type.Literal('1.6'), components: Type.Array(Type.Object({}, { additionalProperties: true })) },
  { title: 'CycloneDxBom', description: 'a CycloneDX 1.6 JSON BOM: the image as root component, its operating system and every package with its purl', additionalProperties: true },
);
const SpdxDocumentSchema = Type.Object(
  { spdxVersion: Type.Literal('SPDX-2.3'), SPDXID: Type.Literal('SPDXRef-DOCUMENT'), packages: Type.Array(Type.Object({}, { additionalProperties: true })) },
  { title: 'SpdxDocument', description: 'an SPDX 2.3 JSON document: the image as described package, containing its operating system and every package', additionalProperties: true },
);
const SBOM_RESPONSE = {
  200: {
    description: 'the SBOM in the format asked for',
    content: { [CYCLONEDX_TYPE]: { schema: CycloneDxBom }, [SPDX_TYPE]: { schema: SpdxDocumentSchema } },
  },
  404: { description: 'no inventory is kept for the image, or the configuration or tag is unknown' },
};

/**
 * SBOMs of images the built-in scanner has analysed, from the inventory it keeps per
 * digest. Images scanned by ECR have none kept: a 404 says so.
 */
export function registerSbomRoutes(app: FastifyInstance, deps: AppDeps, inventories: InventoryReader): void {
  app.get<{ Params: { digest: string }; Querystring: { format?: SbomFormat } }>('/images/:digest/sbom', {
    schema: {
      operationId: 'getImageSbom',
      tags: TAGS,
      summary: 'The SBOM of an image digest',
      description:
        'CycloneDX 1.6 (default) or SPDX 2.3 JSON of the package inventory the built-in scanner keeps for the digest; without `format`, `Accept` chooses. 404 when none is kept: the digest was not scanned by the built-in scanner, or its inventory has been pruned.',
      params: DigestParams,
      querystring: SbomQuery,
      response: SBOM_RESPONSE,
    },
    handler: async (request, reply) => {
      const { digest } = request.params;
      const kept = await keptOrNotFound(inventories, digest);
      const sbom = sbomOf(request.query.format ?? negotiate(request), { name: digest, digest, repository: null, platform: kept.platform }, kept, deps.clock.now());
      return reply.type(sbom.type).send(sbom.body);
    },
  });

  app.get<{ Params: { id: string; tag: string }; Querystring: { format?: SbomFormat } }>('/configs/:id/images/:tag/sbom', {
    schema: {
      operationId: 'getConfigImageSbom',
      tags: TAGS,
      summary: 'The SBOM of a configuration\'s tag',
      description:
        'CycloneDX 1.6 (default) or SPDX 2.3 JSON (without `format`, `Accept` chooses) of the image the tag pointed at when the configuration last scanned it, named `registry/repository:tag`. 404 when the configuration is unknown, does not list the tag, or no inventory is kept for its digest (an ECR-scanned image).',
      params: TagParams,
      querystring: SbomQuery,
      response: SBOM_RESPONSE,
    },
    handler: async (request, reply) => {
      const { id, tag } = request.params;
      const config = await deps.store.getConfig(id);
      if (!config) throw new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${id}`, [{ field: 'id', message: 'id is unknown' }]);
      const digest = digestOfTag(config, tag);
      const kept = await keptOrNotFound(inventories, digest);
      const ref = repositoryOf(config);
      const repository = `${ref.registry}/${ref.repository}`;
      const sbom = sbomOf(request.query.format ?? negotiate(request), { name: `${repository}:${tag}`, digest, repository, platform: kept.platform }, kept, deps.clock.now());
      return reply.type(sbom.type).send(sbom.body);
    },
  });
}

/** Without `format`, `Accept` chooses; plain JSON (or anything) is CycloneDX. */
function negotiate(request: FastifyRequest): SbomFormat {
  const type = request.accepts().type([CYCLONEDX_TYPE, SPDX_TYPE, 'application/json']);
  if (type === false) throw new AppError('NOT_ACCEPTABLE', `SBOMs are available as ${CYCLONEDX_TYPE} or ${SPDX_TYPE}`);
  return type === SPDX_TYPE ? 'spdx' : 'cyclonedx';
}

function digestOfTag(config: ConfigState, tag: string): string {
  const digest = config.images.find((image) => image.tag === tag)?.digest;
  if (!digest) throw new AppError('NOT_FOUND', `configuration ${config.id} has no scanned image tagged ${tag}`, [{ field: 'tag', message: 'no scanned image has this tag' }]);
  return digest;
}

async function keptOrNotFound(inventories: InventoryReader, digest: string): Promise<KeptInventory> {
  const kept = await inventories.latest(digest);
  if (!kept) throw new AppError('NOT_FOUND', `no package inventory is kept for ${digest}; only images the built-in scanner analysed have one`, [{ field: 'digest', message: 'no inventory kept' }]);
  return kept;
}

function sbomOf(format: SbomFormat, image: ExportedImage, kept: KeptInventory, created: Date): { type: string; body: string } {
  const input = { image, inventory: kept.inventory, tool: TOOL, created };
  if (format === 'spdx') return { type: `${SPDX_TYPE}; charset=utf-8`, body: JSON.stringify(spdxSbom(input)) };
  return { type: `${CYCLONEDX_TYPE}; charset=utf-8`, body: cycloneDxSbom(input) };
}
