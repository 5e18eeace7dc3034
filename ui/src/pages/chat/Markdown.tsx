import ReactMarkdown from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import "./markdown.css";

/**
 * A reply rendered as Markdown (GitHub flavour: tables, task lists, strikethrough) with code
 * highlighted. Raw HTML in a reply is shown as text, never run.
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="chat-markdown text-sm leading-relaxed">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeHighlight]}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
