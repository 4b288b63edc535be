import { LayerError } from './layer-error.js';

type Part = 'magic' | 'skippable-size' | 'descriptor' | 'header-rest' | 'block-header';

/**
 * Follows zstd frames (RFC 8878 §3.1) through their block headers as the compressed bytes
 * pass, without decoding, to tell whether the data ends where a frame ends. Node's zstd
 * decoder ends quietly on a frame cut short; fzstd and gunzip fail, and so must a layer.
 */
export class ZstdFrames {
  #part: Part = 'magic';
  #need = 4;
  #have: number[] = [];
  /** Bytes to step over (block content, a checksum, a skippable frame) before `#part`. */
  #skip = 0;
  #checksum = false;
  #frames = 0;

  constructor(private readonly what: string) {}

  update(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#skip > 0) {
        const stepped = Math.min(this.#skip, chunk.length - at);
        this.#skip -= stepped;
        at += stepped;
        continue;
      }
      this.#have.push(chunk[at++] ?? 0);
      if (this.#have.length === this.#need) {
        const bytes = this.#have;
        this.#have = [];
        this.#read(bytes);
      }
    }
  }

  /** Throws unless the data ended right after a whole frame. */
  finish(): void {
    if (this.#frames === 0 || this.#part !== 'magic' || this.#have.length > 0 || this.#skip > 0) {
      throw new LayerError('malformed', `the layer's zstd data is corrupt: ${this.what} ends inside a frame`);
    }
  }

  #next(part: Part, need: number, skip = 0): void {
    this.#part = part;
    this.#need = need;
    this.#skip = skip;
  }

  #read(bytes: number[]): void {
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bytes;
    switch (this.#part) {
      case 'magic': {
        const magic = (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
        if (magic === 0xfd2fb528) return this.#next('descriptor', 1);
        if ((magic & 0xfffffff0) === 0x184d2a50) return this.#next('skippable-size', 4);
        throw new LayerError('malformed', `the layer's zstd data is corrupt: ${this.what} has bytes after its last frame that start no frame`);
      }
      case 'skippable-size':
        this.#frames++;
        return this.#next('magic', 4, (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0);
      case 'descriptor': {
        const singleSegment = (b0 & 0x20) !== 0;
        this.#checksum = (b0 & 0x04) !== 0;
        const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][b0 >> 6] ?? 0;
        const rest = (singleSegment ? 0 : 1) + ([0, 1, 2, 4][b0 & 3] ?? 0) + sizeBytes;
        return rest === 0 ? this.#next('block-header', 3) : this.#next('header-rest', rest);
      }
      case 'header-rest':
        return this.#next('block-header', 3);
      case 'block-header': {
        const header = b0 | (b1 << 8) | (b2 << 16);
        const last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        // A reserved block type: the decoder refuses it too.
        if (type === 3) throw new LayerError('malformed', `the layer's zstd data is corrupt: ${this.what} has a block of a reserved type`);
        const content = type === 1 ? 1 : header >>> 3;
        if (!last) return this.#next('block-header', 3, content);
        this.#frames++;
        return this.#next('magic', 4, content + (this.#checksum ? 4 : 0));
      }
    }
  }
}
