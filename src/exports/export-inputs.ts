import type { Finding } from '../domain/finding.js';
import type { Inventory } from '../scanners/builtin/inventory.js';

/** The image an export describes. */
export interface ExportedImage {
  /** As users name it: `registry/repository:tag`, or the archive read. */
  name: string;
  /** `sha256:…` of what the name resolved to. */
  digest: string;
  /** `registry/repository` when the image came from a registry (the `oci` purl's `repository_url`). */
  repository: string | null;
  /** `os/architecture[/variant]` analysed. */
  platform: string | null;
}

/** Who wrote the document, and when. */
export interface ExportTool {
  name: string;
  version: string;
}

/** What an SBOM is made of: an image and the package inventory read from it. */
export interface SbomInput {
  image: ExportedImage;
  inventory: Inventory;
  tool: ExportTool;
  created: Date;
}

/** One image's findings, as SARIF and CSV list them. */
export interface ImageFindings {
  image: { name: string; digest: string | null };
  findings: readonly ExportedFinding[];
}

/** A finding, with its history when it comes from the store. */
export interface ExportedFinding extends Finding {
  firstSeen?: Date;
  lastSeen?: Date;
  status?: string;
}
