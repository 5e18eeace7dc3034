// A dollar amount: `$` then a number, then a space, the end, or punctuation that ends a clause.
const CURRENCY = /(^|[^\\$])\$(?=\d[\d,]*(?:\.\d+)?(?:$|\s|[.,;:!?)](?:\s|$)))/gm;
// Code is left as written: fenced blocks and inline spans.
const CODE = /(```[\s\S]*?(?:```|$)|`[^`\n]*`)/;

/**
 * Escapes the `$` of dollar amounts ("costs $5 and $10") so that remark-math does not read the
 * text between two of them as a formula; `$5$` and `$2x$` stay math.
 */
export function protectCurrency(text: string): string {
  return text
    .split(CODE)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(CURRENCY, "$1\\$")))
    .join("");
}
