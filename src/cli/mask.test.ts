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
