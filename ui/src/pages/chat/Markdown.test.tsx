import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";
import { protectCurrency } from "./math";

describe("Markdown math", () => {
  it("typesets inline $…$ with KaTeX", () => {
    const { container } = render(<Markdown text="The area is $x^2$ here." />);
    const math = container.querySelector(".katex");
    expect(math).not.toBeNull();
    expect(container.querySelector(".katex-display")).toBeNull();
    // MathML for screen readers, with the superscript.
    expect(container.querySelector("math msup")).not.toBeNull();
    expect(container.textContent).toContain("The area is");
  });

  it("typesets $$…$$ as display math", () => {
    const { container } = render(<Markdown text={"Euler:\n\n$$\ne^{i\\pi} + 1 = 0\n$$\n"} />);
    const display = container.querySelector(".katex-display");
    expect(display).not.toBeNull();
    expect(display?.querySelector(".katex")).not.toBeNull();
    expect(display?.querySelector("annotation")?.textContent).toContain("e^{i\\pi} + 1 = 0");
  });

  it("leaves dollar amounts as text and bad TeX readable", () => {
    const { container } = render(<Markdown text={"It costs $5 and $10.50 total."} />);
    expect(container.querySelector(".katex")).toBeNull();
    expect(container.textContent).toBe("It costs $5 and $10.50 total.");
    expect(protectCurrency("$5$ and $2x$ and `$5 and $6`")).toBe("$5$ and $2x$ and `$5 and $6`");
    const bad = render(<Markdown text="$\\notacommand{x}$" />);
    expect(bad.container.querySelector(".katex-error, .katex")).not.toBeNull();
  });
});
