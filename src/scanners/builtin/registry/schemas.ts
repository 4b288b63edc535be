import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { RegistryError } from './registry-error.js';

const DigestString = Type.String({ pattern: '^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$' });
const MediaTypeString = Type.String({ minLength: 1, maxLength: 255 });
const Annotations = Type.Record(Type.String(), Type.String());

/** An OCI content descriptor (the same shape in Docker's schema 2). */
export const Descriptor = Type.Object({
  mediaType: MediaTypeString,
  digest: DigestString,
  size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  urls: Type.Optional(Type.Array(Type.String())),
  annotations: Type.Optional(Annotations),
});
export type Descriptor = Static<typeof Descriptor>;

export const ManifestPlatform = Type.Object({
  architecture: Type.String({ maxLength: 64 }),
  os: Type.String({ maxLength: 64 }),
  variant: Type.Optional(Type.String({ maxLength: 64 })),
  'os.version': Type.Optional(Type.String({ maxLength: 256 })),
});
export type ManifestPlatform = Static<typeof ManifestPlatform>;

/** Docker's images have at most 127 layers; the bound leaves room for others' tools. */
const MAX_LAYERS = 1000;
/** Generous for multi-platform indexes with attestations (a few dozen in practice). */
const MAX_INDEX_ENTRIES = 1000;

/** An OCI image manifest or a Docker v2 schema 2 manifest. */
export const ImageManifest = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(MediaTypeString),
  config: Descriptor,
  layers: Type.Array(Descriptor, { maxItems: MAX_LAYERS }),
  annotations: Type.Optional(Annotations),
});
export type ImageManifest = Static<typeof ImageManifest>;

/** An OCI image index or a Docker manifest list. */
export const ImageIndex = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(MediaTypeString),
  manifests: Type.Array(
    Type.Object({
      mediaType: MediaTypeString,
      digest: DigestString,
      size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      platform: Type.Optional(ManifestPlatform),
      annotations: Type.Optional(Annotations),
    }),
    { maxItems: MAX_INDEX_ENTRIES },
  ),
  annotations: Type.Optional(Annotations),
});
export type ImageIndex = Static<typeof ImageIndex>;

/** Just enough of a manifest to tell which kind it is when no media type says so. */
export const ManifestHead = Type.Object({
  schemaVersion: Type.Integer(),
  mediaType: Type.Optional(Type.String()),
  manifests: Type.Optional(Type.Array(Type.Unknown())),
  config: Type.Optional(Type.Unknown()),
});
export type ManifestHead = Static<typeof ManifestHead>;

export const TagList = Type.Object({
  name: Type.String(),
  tags: Type.Union([Type.Array(Type.String({ maxLength: 256 })), Type.Null()]),
});
export type TagList = Static<typeof TagList>;

/** `GET /v2/_catalog`: the registry's repositories, one page of them. */
export const Catalog = Type.Object({
  repositories: Type.Union([Type.Array(Type.String({ maxLength: 256 })), Type.Null()]),
});
export type Catalog = Static<typeof Catalog>;

/** The part of an image configuration (OCI image spec, `config.json`) that says when it was built. */
export const ImageConfigCreated = Type.Object({ created: Type.Optional(Type.String({ maxLength: 64 })) });
export type ImageConfigCreated = Static<typeof ImageConfigCreated>;

/** A token server's answer (distribution's token spec; `access_token` is the OAuth2 spelling). */
export const TokenResponse = Type.Object({
  token: Type.Optional(Type.String({ minLength: 1 })),
  access_token: Type.Optional(Type.String({ minLength: 1 })),
  expires_in: Type.Optional(Type.Number({ minimum: 0 })),
  issued_at: Type.Optional(Type.String()),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** The `errors` body registries send with 4xx/5xx answers. */
export const RegistryErrorBody = Type.Object({
  errors: Type.Array(
    Type.Object({
      code: Type.Optional(Type.String()),
      message: Type.Optional(Type.String()),
    }),
  ),
});
export type RegistryErrorBody = Static<typeof RegistryErrorBody>;

/** A validator that parses JSON bytes and checks them, failing with the first schema error. */
export interface JsonParser<T> {
  parse(bytes: Uint8Array, what: string): T;
  check(value: unknown): value is T;
}

export function jsonParser<S extends TSchema>(schema: S): JsonParser<Static<S>> {
  const validator = Compile(schema);
  return {
    check: (value): value is Static<S> => validator.Check(value),
    parse(bytes, what) {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch {
        throw new RegistryError('invalid-response', `${what} is not valid JSON`);
      }
      if (validator.Check(value)) return value as Static<S>;
      const first = validator.Errors(value)[0];
      const where = first ? `${first.instancePath || '/'} ${first.message}` : 'does not match its schema';
      throw new RegistryError('invalid-response', `${what} is malformed: ${where}`);
    },
  };
}
