import { describe, expect, it } from "vitest";
import { safeReturnPath } from "./return-path";

describe("safeReturnPath", () => {
  it("keeps in-app paths with their search and hash", () => {
    expect(safeReturnPath("/chat")).toBe("/chat");
    expect(safeReturnPath("/chat?thread=7#end")).toBe("/chat?thread=7#end");
  });

  it("refuses other origins and non-paths", () => {
    for (const value of ["//evil.example/x", "/\\evil.example", "https://evil.example", "chat", "", null, 7]) {
      expect(safeReturnPath(value)).toBeNull();
    }
  });

  it("never returns to the sign-in pages themselves", () => {
    expect(safeReturnPath("/login?redirect=%2Fchat")).toBeNull();
    expect(safeReturnPath("/first-run")).toBeNull();
    expect(safeReturnPath("/change-password/")).toBeNull();
  });
});
