// Message text with its entities (bold, italic, code, links, mentions; parsed by the server,
// colletta/domain/messages.py), rendered as elements and text nodes only: nothing a sender
// writes can become HTML.
import type { ComponentChildren } from "preact";
import type { Entity } from "./api/http";

const SAFE_LINK = /^https?:\/\//i;

export function renderText(text: string, entities: readonly Entity[]): ComponentChildren[] {
  // Entity offsets count code points (Python's str), not UTF-16 units.
  const points = Array.from(text);
  const out: ComponentChildren[] = [];
  let at = 0;
  const sorted = [...entities].sort((a, b) => a.offset - b.offset);
  for (const [i, entity] of sorted.entries()) {
    if (entity.offset < at || entity.offset + entity.length > points.length) continue;
    if (entity.offset > at) out.push(points.slice(at, entity.offset).join(""));
    const raw = points.slice(entity.offset, entity.offset + entity.length).join("");
    const inner = raw.slice(1, -1);
    switch (entity.type) {
      case "bold":
        out.push(<strong key={i}>{inner}</strong>);
        break;
      case "italic":
        out.push(<em key={i}>{inner}</em>);
        break;
      case "code":
        out.push(<code key={i}>{inner}</code>);
        break;
      case "link":
        out.push(
          SAFE_LINK.test(raw) ? (
            <a key={i} href={raw} target="_blank" rel="noopener noreferrer nofollow">
              {raw}
            </a>
          ) : (
            raw
          ),
        );
        break;
      case "mention":
        out.push(
          <span key={i} class="mention">
            {raw}
          </span>,
        );
        break;
      default:
        out.push(raw);
    }
    at = entity.offset + entity.length;
  }
  if (at < points.length) out.push(points.slice(at).join(""));
  return out;
}

/** The text as a preview or a quote shows it: no markup, and bold, italic and code without
 * the marks around them. */
export function plainText(text: string, entities: readonly Entity[]): string {
  const points = Array.from(text);
  const marked = new Set<number>();
  for (const entity of entities) {
    if (entity.type !== "bold" && entity.type !== "italic" && entity.type !== "code") continue;
    if (entity.length < 2 || entity.offset + entity.length > points.length) continue;
    marked.add(entity.offset).add(entity.offset + entity.length - 1);
  }
  return points.filter((_, i) => !marked.has(i)).join("");
}
