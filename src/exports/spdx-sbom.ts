import { randomUUID } from 'node:crypto';
import type { SbomInput } from './export-inputs.js';
import { ociPurlOf } from './oci-purl.js';
import { sbomPackages } from './sbom-packages.js';

/** The parts of an SPDX 2.3 JSON document this service writes (https://spdx.github.io/spdx-spec/v2.3/). */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  primaryPackagePurpose: 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY';
  supplier?: 'NOASSERTION';
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  externalRefs?: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
  sourceInfo?: string;
  description?: string;
  comment?: string;
}

interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  relatedSpdxElement: string;
}

const IMAGE_ID = 'SPDXRef-Image';
const OS_ID = 'SPDXRef-OperatingSystem';

/**
 * The image's inventory as an SPDX 2.3 JSON document: the image is the package the
 * document describes (its digest as SHA-256 checksum and `oci` purl), and it contains
 * the distribution and every package, each with its purl, its source package as
 * `sourceInfo` and the file it was read from as `comment`. No files are listed: the
 * inventory keeps no checksums, and SPDX asks for them.
 */
export function spdxSbom(input: SbomInput): SpdxDocument {
  const { image, inventory } = input;
  const packages: SpdxPackage[] = [
    {
      SPDXID: IMAGE_ID,
      name: image.name,
      versionInfo: image.digest,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
      checksums: [{ algorithm: 'SHA256', checksumValue: image.digest.replace(/^sha256:/, '') }],
      externalRefs: [purlRef(ociPurlOf(image))],
    },
  ];
  const relationships: SpdxRelationship[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID }];
  if (inventory.os) {
    packages.push({
      SPDXID: OS_ID,
      name: inventory.os.id,
      ...(inventory.os.versionId ? { versionInfo: inventory.os.versionId } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      ...(inventory.os.prettyName ? { description: inventory.os.prettyName } : {}),
    });
    relationships.push({ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: OS_ID });
  }
  sbomPackages(inventory).forEach((pkg, index) => {
    const id = `SPDXRef-Package-${index + 1}`;
    const source = pkg.sourceName ? `built package from: ${pkg.sourceName}${pkg.sourceVersion ? ` ${pkg.sourceVersion}` : ''}` : null;
    packages.push({
      SPDXID: id,
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      supplier: 'NOASSERTION',
      ...(pkg.purl ? { externalRefs: [purlRef(pkg.purl)] } : {}),
      ...(source ? { sourceInfo: source } : {}),
      comment: `read from ${pkg.path}`,
    });
    relationships.push({ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    if (pkg.fromOs && inventory.os) relationships.push({ spdxElementId: OS_ID, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image.name,
    // Unique per document, as SPDX asks; a URN needs no host of ours.
    documentNamespace: `urn:uuid:${randomUUID()}`,
    creationInfo: { created: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: ${input.tool.name}-${input.tool.version}`] },
    packages,
    relationships,
  };
}

function purlRef(purl: string): { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string } {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}
