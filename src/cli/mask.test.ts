import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  closeMaskedOutput,
  createMasker,
  followingMasker,
  MASK,
  maskedOutput,
  StreamMasker,
} from "./mask.js";

describe("createMasker", () => {
  const mask = createMasker([
    Buffer.from("hunter2hunter2\n"),
    Buffer.from("line-one-of-key\r\nline-two-of-key\r\n"),
    Buffer.from("abc"),
    Buffer.from("hunter2"),
  ]);

  it("hides a value wherever it appears in a line, without its trailing newline", () => {
    expect(mask("password=hunter2hunter2; again hunter2hunter2")).toBe(`password=${MASK}; again ${MASK}`);
  });

  it("hides each line of a multi-line value", () => {
    expect(mask("got line-two-of-key")).toBe(`got ${MASK}`);
  });

  it("hides a value that contains another whole, not piecewise", () => {
    expect(mask("hunter2hunter2")).toBe(MASK);
    expect(mask("just hunter2")).toBe(`just ${MASK}`);
  });

  it("leaves values shorter than four characters alone", () => {
    expect(mask("abc def")).toBe("abc def");
  });
});

describe("createMasker with many values (one pass over the line)", () => {
  // More than a few values: they are found through the index, not one search each.
  const many = Array.from({ length: 50 }, (_, i) => `value-${String(i).padStart(3, "0")}-xyz`);

  it("hides every value, wherever and however often it appears", () => {
    const mask = createMasker(many.map((value) => Buffer.from(value)));
    expect(mask(`a ${many[0]} b ${many[49]}${many[7]} c ${many[0]}`)).toBe(
      `a ${MASK} b ${MASK}${MASK} c ${MASK}`,
    );
    expect(mask("value-999-xyz and value-00 stay")).toBe("value-999-xyz and value-00 stay");
  });

  it("hides overlapping values as one mask, showing no character of either", () => {
    const mask = createMasker([...many, "abcdefgh", "zzab", "ghij"].map((value) => Buffer.from(value)));
    // "zzab" begins before "abcdefgh", which "ghij" overlaps at its end.
    expect(mask("<zzabcdefghij>")).toBe(`<${MASK}>`);
    expect(mask("hunter abcdefgh")).toBe(`hunter ${MASK}`);
  });

  it("keys values shorter than four characters (multi-byte) by what they have", () => {
    const mask = createMasker([...many, "€x", "ü€"].map((value) => Buffer.from(value)));
    expect(mask("price: 5€x, ü€!")).toBe(`price: 5${MASK}, ${MASK}!`);
  });

  it("gives what the one-by-one search gives, and never shows a value", () => {
    // A small alphabet makes values overlap and repeat in the lines.
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const word = (length: number) => Array.from({ length }, () => "abcd"[random(4)]).join("");
    for (let round = 0; round < 200; round++) {
      const values = Array.from({ length: 2 + random(20) }, () => word(4 + random(4)));
      const line = Array.from({ length: 5 }, () => word(3 + random(10))).join(" ");
      const masked = createMasker(values.map((value) => Buffer.from(value)))(line);
      expect(masked).toBe(reference(line, values));
      for (const value of values) expect(masked.includes(value)).toBe(false);
    }
  });
});

/** Every occurrence of every value, overlapping ones merged, each range one mask: the definition. */
function reference(line: string, values: string[]): string {
  const hidden = new Array<boolean>(line.length).fill(false);
  const starts = new Set<number>();
  for (const value of new Set(values)) {
    for (let at = line.indexOf(value); at !== -1; at = line.indexOf(value, at + 1)) {
      starts.add(at);
      for (let i = at; i < at + value.length; i++) hidden[i] = true;
    }
  }
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (!hidden[i]) out += line[i];
    // A range begins where a hidden character follows a shown one, or where a value begins just
    // as another ended (two values side by side are two masks, as before).
    else if (i === 0 || !hidden[i - 1] || (starts.has(i) && !coveredAcross(line, values, i))) out += MASK;
  }
  return out;
}

/** Whether some occurrence of a value covers both i - 1 and i. */
function coveredAcross(line: string, values: string[], i: number): boolean {
  return values.some((value) => {
    for (let at = line.indexOf(value); at !== -1 && at < i; at = line.indexOf(value, at + 1)) {
      if (at + value.length > i) return true;
    }
    return false;
  });
}

describe("followingMasker", () => {
  // A watch that reports a change when told to; the material's times are long past.
  const fakeWatch = () => {
    const watch = { changed: true, look: () => ({ changed: watch.changed, newestNs: 0n }) };
    return watch;
  };
  const nextBatch = () => new Promise<void>((resolve) => queueMicrotask(resolve));

  it("reads again when the watch sees a change, and keeps hiding a value that was replaced", async () => {
    const watch = fakeWatch();
    let inPlace = [Buffer.from("first-value")];
    const mask = followingMasker(watch, () => inPlace);
    expect(mask("a first-value")).toBe(`a ${MASK}`);
    await nextBatch();
    // A second `up` replaces the value; a container that read the first may still print it.
    inPlace = [Buffer.from("second-value")];
    watch.changed = true;
    expect(mask("b second-value first-value")).toBe(`b ${MASK} ${MASK}`);
  });

  it("reads nothing again while the watch sees no change", async () => {
    const watch = fakeWatch();
    let reads = 0;
    const mask = followingMasker(watch, () => {
      reads++;
      return [Buffer.from("only-value")];
    });
    watch.changed = false;
    mask("x");
    await nextBatch();
    mask("y");
    expect(reads).toBe(1);
  });
});

describe("StreamMasker", () => {
  const values = [Buffer.from("hunter2hunter2\n"), Buffer.from("line-one-of-key\r\nline-two-of-key\r\n")];
  const text = Buffer.from(
    "a hunter2hunter2 b\r\nline-one-of-key\r\nline-two-of-key\r\ntail without newline",
  );
  // The two-line value is one needle (masked once, its inner line end with it) besides its lines.
  const expected = `a ${MASK} b\r\n${MASK}\r\ntail without newline`;

  const through = (chunks: Buffer[]): string => {
    const masker = new StreamMasker(values);
    return Buffer.concat([...chunks.map((chunk) => masker.push(chunk)), masker.end()]).toString("latin1");
  };

  it("hides values however the stream is cut, and keeps every other byte", () => {
    expect(through([text])).toBe(expected);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(through([text.subarray(0, cut), text.subarray(cut)])).toBe(expected);
    }
    // One byte at a time: the worst case for a value split across chunks.
    expect(through([...text].map((byte) => Buffer.from([byte])))).toBe(expected);
  });

  it("holds back only what could begin a value", () => {
    const masker = new StreamMasker(values);
    expect(masker.push(Buffer.from("prompt: ")).toString()).toBe("prompt: ");
    expect(masker.push(Buffer.from("say hunt")).toString()).toBe("say ");
    expect(masker.push(Buffer.from("ing")).toString()).toBe("hunting");
    expect(masker.push(Buffer.from("x hunter2hun")).toString()).toBe("x ");
    expect(masker.end().toString()).toBe("hunter2hun");
  });

  it("passes bytes that are not UTF-8 through unchanged", () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc3, 0x28, 0x0d]);
    expect(Buffer.concat([new StreamMasker(values).push(binary)]).equals(binary)).toBe(true);
  });

  it("leaves values shorter than four bytes alone, and masks nothing without values", () => {
    const short = new StreamMasker([Buffer.from("abc")]);
    expect(Buffer.concat([short.push(Buffer.from("abc abc")), short.end()]).toString()).toBe("abc abc");
    const none = new StreamMasker([]);
    expect(none.push(Buffer.from("anything")).toString()).toBe("anything");
  });
});

describe("maskedOutput", () => {
  const collect = (target: PassThrough): Buffer[] => {
    const seen: Buffer[] = [];
    target.on("data", (chunk: Buffer) => seen.push(chunk));
    return seen;
  };

  it("reads the values at the first write, masks, and passes on what it held when ended", async () => {
    const target = new PassThrough();
    const seen = collect(target);
    let reads = 0;
    const output = maskedOutput(target, async () => {
      reads++;
      return [Buffer.from("s3cr3t-value")];
    });
    expect(reads).toBe(0);
    output.write(Buffer.from("one s3cr3t-"));
    output.write(Buffer.from("value two s3cr"));
    await closeMaskedOutput(output);
    expect(reads).toBe(1);
    expect(Buffer.concat(seen).toString()).toBe(`one ${MASK} two s3cr`);
    expect(target.writableEnded).toBe(false);
  });

  it("shows nothing when the values cannot be read, and says why", async () => {
    const target = new PassThrough();
    const seen = collect(target);
    const output = maskedOutput(target, () => Promise.reject(new Error("no material")));
    output.write(Buffer.from("unmaskable"));
    await closeMaskedOutput(output);
    expect(seen).toEqual([]);
    expect(output.failure?.message).toBe("no material");
  });
});
