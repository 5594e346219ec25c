import { describe, expect, it } from "vitest";
import { createMasker, MASK } from "./mask.js";

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
