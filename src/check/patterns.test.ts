// The credential detectors alone: what each pattern takes, and the near misses it must leave.
import { describe, expect, it } from "vitest";
import { findCredentials, isCredentialName, isInterpolated, isLiteralCredentialValue } from "./patterns.js";

const rules = (text: string) => findCredentials(text).map((match) => match.rule);

describe("findCredentials", () => {
  it("finds private keys, not public keys or certificates", () => {
    expect(rules("-----BEGIN OPENSSH PRIVATE KEY-----\nabc")).toEqual(["CS002"]);
    expect(rules("-----BEGIN RSA PRIVATE KEY-----")).toEqual(["CS002"]);
    expect(rules("-----BEGIN PUBLIC KEY-----")).toEqual([]);
    expect(rules("-----BEGIN CERTIFICATE-----")).toEqual([]);
  });

  it("finds AWS key ids but not the documented example or a short lookalike", () => {
    expect(rules("AKIAQWERTYUIOPASDFGH")).toEqual(["CS003"]);
    expect(rules("AKIAIOSFODNN7EXAMPLE")).toEqual([]);
    expect(rules("AKIA1234")).toEqual([]);
    expect(rules("xAKIAQWERTYUIOPASDFGH")).toEqual([]);
  });

  it("finds tokens of common services by their documented prefixes and lengths", () => {
    expect(rules(`ghp_${"a".repeat(36)}`)).toEqual(["CS004"]);
    expect(rules("ghp_short")).toEqual([]);
    expect(rules(`sk_live_${"a".repeat(24)}`)).toEqual(["CS004"]);
    expect(rules(`sk_test_${"a".repeat(24)}`)).toEqual([]);
  });

  it("finds connection strings with a literal password only", () => {
    expect(rules("postgres://app:Pa55word@db/app")).toEqual(["CS005"]);
    expect(rules("postgres://app:${DB_PASSWORD}@db/app")).toEqual([]);
    expect(rules("postgres://app:<password>@db/app")).toEqual([]);
    expect(rules("https://docs.example.com:8443/x")).toEqual([]);
    expect(rules("https://user@example.com/x")).toEqual([]);
  });
});

describe("credential names and literal values", () => {
  it("tells a credential's name from a name about one", () => {
    for (const name of ["DB_PASSWORD", "NPM_TOKEN", "API_KEY", "apiKey", "CLIENT_SECRET"]) {
      expect(isCredentialName(name), name).toBe(true);
    }
    for (const name of [
      "PASSWORD_FILE",
      "TOKEN_TTL",
      "TOKEN_URL",
      "SECRET_ENABLED",
      "AWS_ACCESS_KEY_ID",
      "HOME",
    ]) {
      expect(isCredentialName(name), name).toBe(false);
    }
  });

  it("takes literal values, not switches, numbers, paths or interpolations", () => {
    expect(isLiteralCredentialValue("s3cr3t-value")).toBe(true);
    for (const value of ["true", "3600", "/run/secrets/db", "${X}", "abc", ""]) {
      expect(isLiteralCredentialValue(value), value).toBe(false);
    }
    expect(isInterpolated("${X:-a}")).toBe(true);
    expect(isInterpolated("$$NOT")).toBe(false);
  });
});
