import type { ComponentChildren } from "preact";
import { navigate } from "../store";

/** A link inside the client: a real href (new tab, copy) that navigates in place. */
export function Link(props: { to: string; class?: string; "aria-current"?: "page"; children: ComponentChildren }) {
  return (
    <a
      href={props.to}
      class={props.class}
      aria-current={props["aria-current"]}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
