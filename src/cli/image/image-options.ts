/**
 * What the CLI's argument parser and help need of `ecrscan image`, apart from the command:
 * the command itself (the scanner, the exports) is loaded only when it runs.
 */

/** The exit code of a scan that could not be done, distinct from usage errors (2) and findings (`--exit-code`). */
export const SCAN_ERROR_EXIT = 3;

/** A source imported longer ago than this is imported again: the service's own refresh interval (DEFAULT_OSV_REFRESH_MS). */
export const ADVISORY_REFRESH_MS = 6 * 60 * 60 * 1000;

export const IMAGE_HELP = `Usage:
  ecrscan image REF [options]
      scan an image of any registry here, without a server
  ecrscan image --input PATH [options]
      scan an OCI image layout (a directory or its tar) or a docker save archive

Options:
  --format FORMAT      table (default), json, sarif, cyclonedx, spdx or csv
  --severity LIST      only findings of these severities, comma-separated
                       (critical,high)
  --ignore-unfixed     leave out findings that no released version fixes
  --ignore-file FILE   leave out findings an active suppression of FILE covers
                       (the YAML of "ecrscan suppressions apply"; entries
                       scoped to a configuration never apply here)
  --exit-code N        exit with N when findings remain after --severity,
                       --ignore-unfixed and --ignore-file (default 0:
                       findings do not fail)
  --output FILE        write the report to FILE instead of standard output
  --platform OS/ARCH   the image of a multi-platform index to scan
                       (default linux/amd64)
  --cache-dir DIR      the local database kept between runs: advisories and
                       the inventories of images scanned (default
                       ~/.cache/ecrscan)

Advisories come from ECRSCAN_OSV_SOURCES, imported into the local database
and again once 6 hours old; registry credentials as for the service.
Exit codes: 0; N (--exit-code) for findings; 2 for usage errors;
${SCAN_ERROR_EXIT} when the image could not be scanned, or its distribution has no
advisory source.`;

export const IMAGE_FLAGS = {
  'exit-code': { type: 'string' },
  'ignore-unfixed': { type: 'boolean' },
  output: { type: 'string' },
  input: { type: 'string' },
  'cache-dir': { type: 'string' },
  'ignore-file': { type: 'string' },
} as const;

