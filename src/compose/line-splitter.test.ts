import { describe, expect, it } from "vitest";
import { LineSplitter, MAX_LINE_BYTES } from "./line-splitter.js";

function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("hands over whole lines however the chunks cut them", () => {
    expect(split(["hel", "lo\nwor", "ld\n"])).toEqual(["hello", "world"]);
    expect(split(["a\nb\nc\n"])).toEqual(["a", "b", "c"]);
  });

  it("keeps a value cut across chunks in one line (what masking relies on)", () => {
    expect(split(["token=s3cr", "et-value and more\n"])).toEqual(["token=s3cret-value and more"]);
  });

  it("does not break a UTF-8 character cut between chunks", () => {
    const bytes = Buffer.from("día\n");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(["día"]);
  });

  it("drops the carriage return of CRLF line ends (TTY output)", () => {
    expect(split(["one\r\ntwo\r\n"])).toEqual(["one", "two"]);
  });

  it("hands over a last line without a newline at the end, and keeps empty lines", () => {
    expect(split(["a\n\nb"])).toEqual(["a", "", "b"]);
    expect(split([])).toEqual([]);
  });

  it("cuts a line that never ends at the limit instead of buffering without bound", () => {
    const lines = split([Buffer.alloc(MAX_LINE_BYTES + 10, "x"), "\n", "next\n"]);
    expect(lines.map((line) => line.length)).toEqual([MAX_LINE_BYTES + 10, 4]);
  });
});
