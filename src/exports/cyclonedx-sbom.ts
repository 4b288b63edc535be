import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { SbomInput } from './export-inputs.js';
import { ociPurlOf } from './oci-purl.js';
import { sbomPackages } from './sbom-packages.js';

/**
 * The image's inventory as a CycloneDX 1.6 JSON BOM, built with CycloneDX's own library:
 * the image is the root component (its digest as purl version and SHA-256 hash), the
 * distribution an operating-system component, every package a library with its purl, and
 * what the inventory knows beyond CycloneDX's fields (source package, the file it was read
 * from) as `ecrscan:` properties. The root depends on the OS and the language packages,
 * the OS on its own packages.
 */
export function cycloneDxSbom(input: SbomInput): string {
  const { image, inventory } = input;
  const root = new Models.Component(Enums.ComponentType.Container, image.name, {
    bomRef: image.digest,
    version: image.digest,
    purl: ociPurlOf(image),
  });
  root.hashes.set(Enums.HashAlgorithm['SHA-256'], image.digest.replace(/^sha256:/, ''));
  const bom = new Models.Bom({ serialNumber: `urn:uuid:${randomUUID()}` });
  bom.metadata.timestamp = input.created;
  bom.metadata.component = root;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, input.tool.name, { version: input.tool.version }));

  const os = inventory.os
    ? new Models.Component(Enums.ComponentType.OperatingSystem, inventory.os.id, {
        bomRef: `os:${inventory.os.id}`,
        ...(inventory.os.versionId ? { version: inventory.os.versionId } : {}),
        ...(inventory.os.prettyName ? { description: inventory.os.prettyName } : {}),
      })
    : null;
  if (os) {
    bom.components.add(os);
    root.dependencies.add(os.bomRef);
  }
  for (const pkg of sbomPackages(inventory)) {
    const component = new Models.Component(Enums.ComponentType.Library, pkg.name, { bomRef: pkg.ref, version: pkg.version, ...(pkg.purl ? { purl: pkg.purl } : {}) });
    component.properties.add(new Models.Property('ecrscan:package:ecosystem', pkg.ecosystem));
    component.properties.add(new Models.Property('ecrscan:package:path', pkg.path));
    if (pkg.sourceName) component.properties.add(new Models.Property('ecrscan:package:source-name', pkg.sourceName));
    if (pkg.sourceVersion) component.properties.add(new Models.Property('ecrscan:package:source-version', pkg.sourceVersion));
    bom.components.add(component);
    (pkg.fromOs && os ? os : root).dependencies.add(component.bomRef);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
