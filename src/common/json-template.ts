/**
 * JSON bytes written from a template, for objects the API answers by the hundred (a page of devices).
 * `JSON.stringify` walks every object of a page each time, most of a device object is the same for every
 * device of its type, and the text it makes is then measured and encoded again for the socket. A template is
 * the object serialised once, as bytes, with holes where its own values go: writing one only encodes those
 * values, straight into the answer's bytes. The template is made from the very function that builds the
 * object, so the object's shape is written once: a render is exactly what `JSON.stringify` of it writes.
 */

/** JSON made already, as UTF-8 bytes: `jsonBytesWith` puts it in as it is. */
export class SerializedJson {
  constructor(readonly bytes: Buffer) {}
}

/**
 * What fills a hole: a string (encoded as JSON), or JSON text made already (put in as it is: the caller
 * vouches for it, for example a column that `JSON.stringify` wrote).
 */
export type HoleValue = string | { json: string };

export interface JsonTemplate {
  /** The object's JSON with these values in its holes, in the order `build` was handed them. */
  render(values: readonly HoleValue[]): SerializedJson;
}

/**
 * A template of the object that `build` makes from the holes it is handed. `build` must only place each hole
 * (as a field's value, anywhere in the object, any number of times), never branch on it or change it: a
 * placed hole is a string here, and a render puts the value there in its place.
 */
export function jsonTemplate(holeCount: number, build: (holes: readonly string[]) => unknown): JsonTemplate {
  // A hole is NUL, its number, NUL: the objects' own constants hold no NUL, so a hole's JSON is found only where
  // the hole was placed.
  const holes = Array.from({ length: holeCount }, (_, i) => `\u0000${i}\u0000`);
  const encodedHoles = holes.map((hole) => JSON.stringify(hole));
  const text = JSON.stringify(build(holes));
  const parts: Buffer[] = [];
  const order: number[] = [];
  let from = 0;
  for (;;) {
    let next = -1;
    let which = -1;
    encodedHoles.forEach((encoded, i) => {
      const at = text.indexOf(encoded, from);
      if (at !== -1 && (next === -1 || at < next)) [next, which] = [at, i];
    });
    if (next === -1) break;
    parts.push(Buffer.from(text.slice(from, next)));
    order.push(which);
    from = next + encodedHoles[which].length;
  }
  parts.push(Buffer.from(text.slice(from)));
  return {
    render(values) {
      const out = scratch.reset();
      out.raw(parts[0]);
      for (let i = 0; i < order.length; i++) {
        const value = values[order[i]];
        out.text(typeof value === 'string' ? JSON.stringify(value) : value.json);
        out.raw(parts[i + 1]);
      }
      return new SerializedJson(out.copy());
    },
  };
}

/** A growing buffer of bytes: the one the templates render into, and each answer's. */
class ByteWriter {
  private buffer = Buffer.allocUnsafe(16 * 1024);
  private length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  raw(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.length += bytes.copy(this.buffer, this.length);
  }

  text(text: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length);
  }

  /** The bytes written, in a buffer of their own. */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /** The bytes written, for a writer that writes no more. */
  written(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

// One at a time: rendering is synchronous, and each render copies its bytes out.
const scratch = new ByteWriter();

/** The UTF-8 bytes of `JSON.stringify(value)`, where some values are `SerializedJson`, in arrays and plain objects. */
export function jsonBytesWith(value: unknown): Buffer {
  const out = new ByteWriter();
  writeJsonWith(out, value);
  return out.written();
}

function writeJsonWith(out: ByteWriter, value: unknown): void {
  if (value instanceof SerializedJson) return out.raw(value.bytes);
  if (Array.isArray(value)) {
    out.text('[');
    value.forEach((item, i) => {
      if (i > 0) out.text(',');
      writeJsonWith(out, item ?? null);
    });
    return out.text(']');
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    out.text('{');
    let first = true;
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined) continue;
      out.text(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      writeJsonWith(out, field);
    }
    return out.text('}');
  }
  out.text(JSON.stringify(value));
}
