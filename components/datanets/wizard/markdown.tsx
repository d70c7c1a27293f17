// A small, safe Markdown renderer for descriptions: headings, paragraphs, lists, code blocks,
// bold, italic, inline code and links. It builds React elements, so text is always escaped;
// links are kept only for http(s) and mailto addresses.
import type { ReactNode } from "react";

type Block =
  | { type: "heading"; level: number; text: string }
  | { type: "paragraph"; text: string }
  | { type: "list"; ordered: boolean; items: string[] }
  | { type: "code"; text: string };

const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const FENCE = /^ {0,3}(```|~~~)/;

function blocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    const heading = HEADING.exec(line);
    if (line.trim() === "") {
      i++;
    } else if (FENCE.test(line)) {
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i] ?? ""); i++) code.push(lines[i] ?? "");
      i++;
      out.push({ type: "code", text: code.join("\n") });
    } else if (heading) {
      out.push({ type: "heading", level: heading[1]?.length ?? 1, text: heading[2] ?? "" });
      i++;
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? NUMBERED : BULLET;
      const items: string[] = [];
      for (let m = pattern.exec(line); m && i < lines.length; m = pattern.exec(lines[i] ?? "")) {
        items.push(m[1] ?? "");
        i++;
      }
      out.push({ type: "list", ordered, items });
    } else {
      const text: string[] = [];
      for (; i < lines.length; i++) {
        const next = lines[i] ?? "";
        if (next.trim() === "" || HEADING.test(next) || FENCE.test(next) || BULLET.test(next) || NUMBERED.test(next)) break;
        text.push(next.trim());
      }
      out.push({ type: "paragraph", text: text.join(" ") });
    }
  }
  return out;
}

// `code`, **bold**, *italic* or _italic_ (not inside words), [text](url).
const INLINE = /`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s](?:.*?[^*\s])?)\*|(?<![\p{L}\p{N}])_(.+?)_(?![\p{L}\p{N}])|\[([^\]]+)\]\(([^)\s]+)\)/u;

function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function inline(text: string, key = "i"): ReactNode[] {
  const nodes: ReactNode[] = [];
  let rest = text;
  let n = 0;
  for (let m = INLINE.exec(rest); m; m = INLINE.exec(rest)) {
    if (m.index > 0) nodes.push(rest.slice(0, m.index));
    const k = `${key}-${n++}`;
    const [, code, bold, star, underscore, linkText, url] = m;
    if (code !== undefined) nodes.push(<code key={k} className="rounded bg-gray-100 px-1 py-0.5 font-mono text-[0.85em]">{code}</code>);
    else if (bold !== undefined) nodes.push(<strong key={k}>{inline(bold, k)}</strong>);
    else if (star !== undefined || underscore !== undefined) nodes.push(<em key={k}>{inline(star ?? underscore ?? "", k)}</em>);
    else if (linkText !== undefined) {
      const href = safeHref(url ?? "");
      nodes.push(
        href ? (
          <a key={k} href={href} target="_blank" rel="noopener noreferrer" className="text-brand-700 underline">
            {inline(linkText, k)}
          </a>
        ) : (
          <span key={k}>{inline(linkText, k)}</span>
        ),
      );
    }
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) nodes.push(rest);
  return nodes;
}

const headingClasses = ["text-xl font-semibold", "text-lg font-semibold", "text-base font-semibold"];

export function Markdown({ source }: { source: string }) {
  return (
    <div className="space-y-3 text-sm leading-6 text-gray-800">
      {blocks(source).map((block, i) => {
        const key = `b${i}`;
        switch (block.type) {
          case "heading": {
            // The page already has h1 and h2; description headings start at h3.
            const Tag = (["h3", "h4", "h5", "h6"] as const)[Math.min(block.level, 4) - 1] ?? "h6";
            return (
              <Tag key={key} className={`${headingClasses[block.level - 1] ?? "text-sm font-semibold"} text-gray-900`}>
                {inline(block.text, key)}
              </Tag>
            );
          }
          case "list": {
            const List = block.ordered ? "ol" : "ul";
            return (
              <List key={key} className={`${block.ordered ? "list-decimal" : "list-disc"} space-y-1 pl-5`}>
                {block.items.map((item, j) => <li key={j}>{inline(item, `${key}-${j}`)}</li>)}
              </List>
            );
          }
          case "code":
            return <pre key={key} className="overflow-x-auto rounded-control bg-gray-100 p-3 font-mono text-xs">{block.text}</pre>;
          case "paragraph":
            return <p key={key}>{inline(block.text, key)}</p>;
        }
      })}
    </div>
  );
}
