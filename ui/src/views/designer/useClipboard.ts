// Copy, cut, paste and duplicate of the selected steps. What was copied is
// held for the app's life (so it pastes into another workflow too) and
// written to the system clipboard as marked JSON, which a paste also reads
// when the app holds nothing (copied in another window of the app).
import { useCallback } from "react";
import { useDesignerStore } from "../../stores/designer";
import { clipText, copySteps, parseClip, pasteSteps, type Clip } from "./clipboard";
import { removeSteps } from "./mapping";

export type ClipboardAction = "copy" | "cut" | "paste" | "duplicate";

let held: Clip | null = null;

async function fromSystem(): Promise<Clip | null> {
  try {
    return parseClip(await navigator.clipboard.readText());
  } catch {
    return null; // no permission or no text: nothing to paste from there
  }
}

function toSystem(clip: Clip) {
  navigator.clipboard?.writeText(clipText(clip)).catch(() => undefined);
}

/** The clipboard's actions on the designer's document; `selected` gives the
 * selected step ids, `select` selects the pasted ones. */
export function useClipboard(selected: () => string[], select: (ids: string[]) => void) {
  const edit = useDesignerStore((s) => s.edit);
  return useCallback(
    async (action: ClipboardAction) => {
      const workflow = useDesignerStore.getState().workflow;
      if (!workflow) return;
      const paste = (clip: Clip) => {
        let ids: string[] = [];
        edit((w) => {
          const pasted = pasteSteps(w, clip);
          ids = pasted.ids;
          return pasted.workflow;
        });
        select(ids);
      };
      if (action === "paste") {
        const clip = held ?? (await fromSystem());
        if (clip) paste(clip);
        return;
      }
      const clip = copySteps(workflow, selected());
      if (!clip) return;
      if (action === "duplicate") {
        paste(clip);
        return;
      }
      held = clip;
      toSystem(clip);
      if (action === "cut") edit((w) => removeSteps(w, clip.steps.map((s) => s.id)));
    },
    [edit, selected, select],
  );
}
