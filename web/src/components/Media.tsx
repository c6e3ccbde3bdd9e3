// Attachments: uploads with progress (XHR: fetch reports no upload progress), image previews
// before sending, thumbnails in messages, a viewer for images, downloads under the sender's
// file name.
import { useEffect, useRef } from "preact/hooks";
import { ApiError, CSRF_HEADER, csrfToken, type Media } from "../api/http";
import { t } from "../i18n";

export interface Upload {
  key: string;
  file: File;
  preview: string | null;
  progress: number;
  media: Media | null;
  error: string | null;
}

export function mediaUrl(chatId: string, mediaId: string, thumbnail = false): string {
  return `/api/v1/chats/${chatId}/media/${mediaId}${thumbnail ? "/thumbnail" : ""}`;
}

export function upload(chatId: string, file: File, onProgress: (done: number) => void): Promise<Media> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/chats/${chatId}/media`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`);
    const csrf = csrfToken();
    if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const body = xhr.response as (Media & { detail?: string; type?: string }) | null;
      if (xhr.status === 201 && body) {
        onProgress(1);
        resolve(body);
      } else {
        reject(new ApiError(xhr.status, (body?.type ?? "").split("/").pop() ?? "", body?.detail ?? t.error));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "network", t.offline));
    xhr.send(file);
  });
}

export function newUpload(file: File): Upload {
  return {
    key: `${file.name}-${file.size}-${Math.random()}`,
    file,
    preview: file.type.startsWith("image/") ? URL.createObjectURL(file) : null,
    progress: 0,
    media: null,
    error: null,
  };
}

export function UploadList({ uploads, onRemove }: { uploads: Upload[]; onRemove: (key: string) => void }) {
  return (
    <ul class="uploads" aria-label={t.attachments}>
      {uploads.map((u) => (
        <li key={u.key} class="upload">
          {u.preview ? <img src={u.preview} alt="" class="upload-preview" /> : <span aria-hidden="true">📎</span>}
          <span class="upload-name">{u.file.name}</span>
          <progress max={1} value={u.progress} aria-label={t.uploading(u.file.name)} />
          {u.error && <span class="error" role="alert">{u.error}</span>}
          <button type="button" aria-label={t.removeAttachment(u.file.name)} onClick={() => onRemove(u.key)}>
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function Attachments({
  media,
  onOpen,
  viewOnce,
}: {
  media: Media[];
  onOpen: (m: Media) => void;
  /** null: not view-once; "sender": shown, never opened; "reader": one open. */
  viewOnce: null | "sender" | "reader";
}) {
  if (viewOnce === "sender") return <p class="view-once">{t.viewOnceSent}</p>;
  if (viewOnce === "reader") {
    return (
      <div class="attachments">
        {media.map((m) =>
          m.kind === "image" ? (
            <button type="button" class="view-once" key={m.id} onClick={() => onOpen(m)}>
              {t.openViewOnce}
            </button>
          ) : (
            // Not a picture: the one open is the download itself.
            <a class="view-once" key={m.id} href={mediaUrl(m.chat_id, m.id)} download={m.filename} onClick={() => onOpen(m)}>
              {t.openViewOnce}
            </a>
          ),
        )}
      </div>
    );
  }
  return (
    <div class="attachments">
      {media.map((m) =>
        m.kind === "image" && m.has_thumbnail ? (
          <button type="button" class="thumb" key={m.id} aria-label={t.openImage(m.filename)} onClick={() => onOpen(m)}>
            <img src={mediaUrl(m.chat_id, m.id, true)} alt={m.filename} loading="lazy" />
          </button>
        ) : (
          <a class="file" key={m.id} href={mediaUrl(m.chat_id, m.id)} download={m.filename}>
            📎 {m.filename} <small>({size(m.size_bytes)})</small>
          </a>
        ),
      )}
    </div>
  );
}

/** A picture full size; a view-once one offers no download (a second open is refused). */
export function Viewer({ media, once, onClose }: { media: Media; once: boolean; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [media.id]);
  const url = mediaUrl(media.chat_id, media.id);
  return (
    <div class="viewer" role="dialog" aria-modal="true" aria-label={media.filename}>
      <img src={url} alt={media.filename} />
      <div class="viewer-bar">
        {!once && (
          <a href={url} download={media.filename}>
            {t.download}
          </a>
        )}
        <button type="button" ref={close} onClick={onClose}>
          {t.closeMenu}
        </button>
      </div>
    </div>
  );
}
