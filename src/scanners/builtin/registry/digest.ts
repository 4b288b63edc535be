import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from './registry-error.js';

/** The digest algorithms of the OCI image spec that registries use in practice. */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const DIGEST_PATTERN = /^(sha256):([a-f0-9]{64})$|^(sha512):([a-f0-9]{128})$/;

export function isDigest(text: string): boolean {
  return DIGEST_PATTERN.test(text);
}

/** Parses `sha256:<64 hex>` or `sha512:<128 hex>`; anything else is refused. */
export function parseDigest(text: string): Digest {
  const match = DIGEST_PATTERN.exec(text);
  if (!match) throw new RegistryError('invalid-response', `"${text.slice(0, 80)}" is not a sha256 or sha512 digest`);
  if (match[1]) return { algorithm: 'sha256', hex: match[2] ?? '' };
  return { algorithm: 'sha512', hex: match[4] ?? '' };
}

export function formatDigest(digest: Digest): string {
  return `${digest.algorithm}:${digest.hex}`;
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` hash to `expected`; `what` names the content in the message. */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const digest = parseDigest(expected);
  const actual = digestOf(bytes, digest.algorithm);
  if (actual !== expected) {
    throw new RegistryError('digest-mismatch', `${what}: content hashes to ${actual}, not to ${expected}`);
  }
}

/** Incremental verification for streamed blobs. */
export interface DigestVerifier {
  update(chunk: Uint8Array): void;
  /** Throws when the bytes seen so far do not hash to the expected digest. */
  finish(): void;
}

export function createDigestVerifier(expected: string, what: string): DigestVerifier {
  const digest = parseDigest(expected);
  const hash: Hash = createHash(digest.algorithm);
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    finish: () => {
      const actual = `${digest.algorithm}:${hash.digest('hex')}`;
      if (actual !== expected) {
        throw new RegistryError('digest-mismatch', `${what}: content hashes to ${actual}, not to ${expected}`);
      }
    },
  };
}
