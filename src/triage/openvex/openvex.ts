import { createHash } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { SuppressionPut } from '../../store/suppression-store.js';
import { type Suppression, type SuppressionScope, type SuppressionStatus, type VexJustification, VULNERABILITY_PATTERN } from '../suppression.js';
import { parseImageReference, type Purl, parsePurl, purlEncode } from './purl.js';
import schema from './openvex-json-schema.json' with { type: 'json' };

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';
/** Purl qualifier that keeps a suppression's configuration through an export and re-import. */
const CONFIG_QUALIFIER = 'ecrscan_config';
const VULNERABILITY = new RegExp(VULNERABILITY_PATTERN);

const ajv = addFormats(new Ajv2020({ allErrors: false, strict: false }));
// IRIs (RFC 3987): a scheme, then no white space; purls and URLs are both.
ajv.addFormat('iri', /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/);
const validateDocument = ajv.compile(schema);

/** A document that cannot be imported: which statement (null: the document itself) and why. */
export class VexDocumentError extends Error {
  constructor(
    readonly statement: number | null,
    readonly field: string,
    message: string,
  ) {
    super(statement === null ? message : `statement ${statement}: ${message}`);
    this.name = 'VexDocumentError';
  }
}

interface Component {
  '@id'?: string;
  identifiers?: { purl?: string };
  subcomponents?: Component[];
}

interface Statement {
  vulnerability: { name: string; aliases?: string[] };
  products?: Component[];
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  justification?: VexJustification;
  impact_statement?: string;
  action_statement?: string;
  status_notes?: string;
}

interface VexDocument {
  '@id': string;
  statements: Statement[];
}

export interface VexImport {
  suppressions: SuppressionPut[];
  skipped: Array<{ statement: number; reason: string }>;
}

type Scope = Omit<SuppressionScope, 'vulnerability'>;

/**
 * Turns an OpenVEX 0.2 document into suppressions, one per statement and product (and
 * subcomponent). Ids are derived from the document's `@id`, the vulnerability and the
 * product, so importing a later version of the same document replaces what the earlier
 * one made. Throws `VexDocumentError` naming the first statement that is not valid.
 */
export function suppressionsFromVex(document: unknown): VexImport {
  if (!validateDocument(document)) {
    const error = validateDocument.errors?.[0];
    const path = error?.instancePath ?? '';
    const statement = /^\/statements\/([0-9]+)/.exec(path);
    const message = `${path || 'the document'} ${error?.message ?? 'is not valid'} (OpenVEX 0.2 schema)`;
    throw new VexDocumentError(statement?.[1] === undefined ? null : Number(statement[1]), path || '/', message);
  }
  const vex = document as unknown as VexDocument;
  const byId = new Map<string, SuppressionPut>();
  const skipped: VexImport['skipped'] = [];
  vex.statements.forEach((statement, index) => {
    const vulnerability = statement.vulnerability.name;
    if (!VULNERABILITY.test(vulnerability)) {
      throw new VexDocumentError(index, `/statements/${index}/vulnerability/name`, `vulnerability name "${vulnerability.slice(0, 80)}" is not an advisory id`);
    }
    const decision = decide(statement);
    if (typeof decision === 'string') {
      skipped.push({ statement: index, reason: decision });
      return;
    }
    for (const scope of scopesOf(statement, index)) {
      // A later statement about the same vulnerability and product wins, as OpenVEX's own updates do.
      const id = `vex-${createHash('sha256').update(JSON.stringify([vex['@id'], vulnerability, scope])).digest('hex').slice(0, 32)}`;
      byId.set(id, { id, vulnerability, ...scope, ...decision, expiresAt: null });
    }
  });
  return { suppressions: [...byId.values()], skipped };
}

type Decision = { status: SuppressionStatus; justification: VexJustification | null; reason: string };

/** What a statement's status means here: a suppression, or why it is none. */
function decide(statement: Statement): Decision | string {
  const notes = statement.status_notes?.trim();
  switch (statement.status) {
    case 'not_affected':
      if (notes === 'false_positive') return { status: 'false_positive', justification: null, reason: statement.impact_statement ?? 'false positive (OpenVEX)' };
      return { status: 'not_affected', justification: statement.justification ?? null, reason: statement.impact_statement ?? `not affected: ${statement.justification ?? 'OpenVEX'}` };
    case 'fixed':
      // The product carries the fix, so a scanner that still reports it is wrong.
      return { status: 'false_positive', justification: null, reason: notes || 'fixed in this product (OpenVEX)' };
    case 'affected':
      if (notes === 'accepted_risk' || notes === 'will_not_fix') return { status: notes, justification: null, reason: statement.action_statement ?? notes };
      return 'affected: its findings stay open';
    case 'under_investigation':
      return 'under_investigation: its findings stay open';
  }
}

/** One scope per product and subcomponent; none listed means everywhere. */
function scopesOf(statement: Statement, index: number): Scope[] {
  const products = statement.products ?? [];
  if (products.length === 0) return [{ package: null, configId: null, repository: null, tag: null }];
  const scopes: Scope[] = [];
  products.forEach((product, at) => {
    const field = `/statements/${index}/products/${at}`;
    const scope = scopeOf(product, index, field);
    const subcomponents = product.subcomponents ?? [];
    if (subcomponents.length === 0) {
      scopes.push(scope);
      return;
    }
    subcomponents.forEach((sub, subAt) => {
      const inner = scopeOf(sub, index, `${field}/subcomponents/${subAt}`);
      scopes.push({ ...scope, package: inner.package ?? scope.package });
    });
  });
  return scopes;
}

/** A product as a scope: an OCI purl or image reference names images, any other purl a package. */
function scopeOf(component: Component, index: number, field: string): Scope {
  const reference = component.identifiers?.purl ?? component['@id'] ?? '';
  const purl = parsePurl(reference);
  if (purl && purl.type === 'oci') {
    const repositoryUrl = purl.qualifiers.get('repository_url');
    const repository = repositoryUrl ? (parseImageReference(repositoryUrl)?.repository ?? repositoryUrl) : purl.name === '*' ? null : purl.name;
    return { package: null, configId: purl.qualifiers.get(CONFIG_QUALIFIER) ?? null, repository, tag: purl.qualifiers.get('tag') ?? null };
  }
  if (purl) return { package: packageName(purl), configId: null, repository: null, tag: null };
  const image = parseImageReference(reference);
  if (image) return { package: null, configId: null, repository: image.repository, tag: image.tag };
  throw new VexDocumentError(index, field, `product "${reference.slice(0, 120)}" is neither a package URL nor an image reference`);
}

/** The package name as findings carry it (OSV's naming): Maven's group:artifact, npm's @scope/name, Go's module path. */
function packageName(purl: Purl): string {
  if (purl.namespace === null) return purl.name;
  if (purl.type === 'maven') return `${purl.namespace}:${purl.name}`;
  if (purl.type === 'npm' || purl.type === 'golang' || purl.type === 'composer') return `${purl.namespace}/${purl.name}`;
  return purl.name;
}

export interface VexExportOptions {
  author: string;
  tooling: string;
  now: Date;
}

/** The active suppressions as one OpenVEX 0.2 document; what only this service knows goes in `status_notes`. */
export function vexFromSuppressions(suppressions: readonly Suppression[], options: VexExportOptions): Record<string, unknown> {
  const statements = suppressions.map(statementOf);
  const digest = createHash('sha256').update(JSON.stringify(statements)).digest('hex').slice(0, 32);
  return {
    '@context': OPENVEX_CONTEXT,
    // The same suppressions give the same id, so a consumer can tell an unchanged export.
    '@id': `urn:ecrscan:vex:${digest}`,
    author: options.author,
    timestamp: options.now.toISOString(),
    version: 1,
    tooling: options.tooling,
    statements,
  };
}

function statementOf(suppression: Suppression): Record<string, unknown> {
  const statement: Record<string, unknown> = { vulnerability: { name: suppression.vulnerability }, timestamp: suppression.updatedAt.toISOString() };
  const products = productsOf(suppression);
  if (products.length > 0) statement['products'] = products;
  switch (suppression.status) {
    case 'not_affected':
      statement['status'] = 'not_affected';
      if (suppression.justification) statement['justification'] = suppression.justification;
      statement['impact_statement'] = suppression.reason;
      break;
    case 'false_positive':
      Object.assign(statement, { status: 'not_affected', impact_statement: suppression.reason, status_notes: 'false_positive' });
      break;
    case 'accepted_risk':
    case 'will_not_fix':
      Object.assign(statement, { status: 'affected', action_statement: suppression.reason, status_notes: suppression.status });
      break;
  }
  return statement;
}

function productsOf(suppression: Suppression): Array<Record<string, unknown>> {
  const pkg = suppression.package === null ? null : { '@id': `pkg:generic/${purlEncode(suppression.package)}` };
  if (suppression.repository === null && suppression.tag === null && suppression.configId === null) return pkg ? [pkg] : [];
  const qualifiers: string[] = [];
  if (suppression.configId !== null) qualifiers.push(`${CONFIG_QUALIFIER}=${encodeURIComponent(suppression.configId)}`);
  if (suppression.repository !== null) qualifiers.push(`repository_url=${encodeURIComponent(suppression.repository)}`);
  if (suppression.tag !== null) qualifiers.push(`tag=${encodeURIComponent(suppression.tag)}`);
  const name = suppression.repository?.split('/').pop() ?? '*';
  const image: Record<string, unknown> = { '@id': `pkg:oci/${purlEncode(name)}?${qualifiers.join('&')}` };
  if (pkg) image['subcomponents'] = [pkg];
  return [image];
}
