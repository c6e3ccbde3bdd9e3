import { useId } from "preact/hooks";
import { t } from "../i18n";

/** The server's limits on a title and a description. */
export interface TextLimits {
  titleMax: number;
  descriptionMax: number;
}

/** A title and a description, as the forms for chats and pots ask for them. */
export function TextFields(props: TextLimits & { title: string; setTitle: (v: string) => void; description: string; setDescription: (v: string) => void }) {
  const id = useId();
  return (
    <>
      <div class="field">
        <label for={`${id}-title`}>{t.title}</label>
        <input id={`${id}-title`} value={props.title} required maxLength={props.titleMax} onInput={(e) => props.setTitle(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${id}-description`}>{t.description}</label>
        <textarea id={`${id}-description`} value={props.description} maxLength={props.descriptionMax} onInput={(e) => props.setDescription(e.currentTarget.value)} />
      </div>
    </>
  );
}
