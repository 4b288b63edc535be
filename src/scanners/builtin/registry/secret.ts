import { inspect } from 'node:util';

/**
 * A password or token. Printing, logging or serialising it shows `[secret]`, so that a
 * credential that ends up in a log line or an error object by accident stays hidden;
 * only `reveal()` gives the value, at the one place that builds a header.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
