import { describe, expect, it } from "vitest";
import { escapeDollars } from "./escape-dollars.js";

describe("escapeDollars", () => {
  it("doubles every $ in values, at any depth, and leaves keys and other values alone", () => {
    expect(escapeDollars({ a: "$HOME and $$", k$: ["x$", { b: "$" }], n: 1, t: true, z: null })).toEqual({
      a: "$$HOME and $$$$",
      k$: ["x$$", { b: "$$" }],
      n: 1,
      t: true,
      z: null,
    });
  });
});
