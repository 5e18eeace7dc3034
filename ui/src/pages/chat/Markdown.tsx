import "katex/dist/katex.min.css";
import ReactMarkdown, { type Options } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeKatex from "rehype-katex";
import remarkGfm from "remark-gfm";
import remarkMath from "remark-math";
import "./markdown.css";
import { protectCurrency } from "./math";

type PluggableList = NonNullable<Options["rehypePlugins"]>;

// `$…$` inline and `$$…$$` display math.
const REMARK_PLUGINS: PluggableList = [remarkGfm, remarkMath];
// KaTeX renders bad TeX as red source text instead of throwing, so a half-streamed formula
// never breaks the reply.
const REHYPE_PLUGINS: PluggableList = [rehypeHighlight, [rehypeKatex, { throwOnError: false, strict: false }]];

/**
 * A reply rendered as Markdown (GitHub flavour: tables, task lists, strikethrough) with code
 * highlighted and TeX math typeset by KaTeX. Raw HTML in a reply is shown as text, never run.
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="chat-markdown text-sm leading-relaxed">
      <ReactMarkdown remarkPlugins={REMARK_PLUGINS} rehypePlugins={REHYPE_PLUGINS}>
        {protectCurrency(text)}
      </ReactMarkdown>
    </div>
  );
}
