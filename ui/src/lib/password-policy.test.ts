import { describe, expect, it } from "vitest";
import { MIN_PASSWORD_LENGTH, passwordProblems } from "./password-policy";

const check = (oldPassword: string, newPassword: string, confirm = newPassword) =>
  passwordProblems({ oldPassword, newPassword, confirm });

describe("password policy (client side)", () => {
  it("accepts a new password of at least 8 characters, different from the old one, confirmed", () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(check("one-time-passphrase", "12345678")).toEqual([]);
  });

  it("refuses fewer than 8 characters, counting characters rather than UTF-16 units", () => {
    expect(check("old", "1234567")).toEqual(["too_short"]);
    expect(check("old", "")).toEqual(["too_short"]);
    // Seven emoji are 14 UTF-16 units but still seven characters.
    expect(check("old", "🦥🦥🦥🦥🦥🦥🦥")).toEqual(["too_short"]);
    expect(check("old", "🦥🦥🦥🦥🦥🦥🦥🦥")).toEqual([]);
  });

  it("refuses the current password", () => {
    expect(check("same-password", "same-password")).toEqual(["same_as_old"]);
  });

  it("refuses a confirmation that doesn't match", () => {
    expect(check("old", "new-password", "new-passwort")).toEqual(["mismatch"]);
  });

  it("reports every problem at once", () => {
    expect(check("short", "short", "other")).toEqual(["too_short", "same_as_old", "mismatch"]);
  });
});
