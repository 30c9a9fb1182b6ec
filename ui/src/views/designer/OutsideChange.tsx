// The banner that says the workflow was saved elsewhere while it was being
// edited here, and offers a merge, a copy of this edit, or the other
// version; after a merge, what clashed (this edit was kept there).
import { timeOfDay } from "../../components/time";
import { useOutsideStore, type Resolution } from "../../stores/designerOutside";

type Props = { onCopied: (id: string) => void };

export function OutsideChange({ onCopied }: Props) {
  const newer = useOutsideStore((s) => s.newer);
  const clashes = useOutsideStore((s) => s.clashes);
  const error = useOutsideStore((s) => s.error);
  const resolve = useOutsideStore((s) => s.resolve);
  const dismiss = useOutsideStore((s) => s.reset);

  const act = async (how: Resolution) => {
    const copy = await resolve(how);
    if (copy) onCopied(copy);
  };

  if (!newer && clashes.length === 0 && !error) return null;
  return (
    <div className="outside-change notice" role="alert" data-testid="designer-outside">
      {newer && (
        <>
          <span>
            Version {newer.version} was saved elsewhere ({newer.savedBy === "disk" ? "the file was edited" : `by ${newer.savedBy}`},{" "}
            {timeOfDay(newer.savedMs)}) while you edited here. Nothing is overwritten until you choose:
          </span>
          <button type="button" className="btn-sm primary" data-testid="outside-merge" onClick={() => void act("merge")}>
            Merge into my edit
          </button>
          <button type="button" className="btn-sm" data-testid="outside-copy" onClick={() => void act("copy")}>
            Keep my edit as a copy
          </button>
          <button type="button" className="btn-sm danger" data-testid="outside-theirs" onClick={() => void act("theirs")}>
            Take version {newer.version}, drop my edit
          </button>
        </>
      )}
      {!newer && clashes.length > 0 && (
        <>
          <span data-testid="outside-clashes">
            Merged. Both sides changed {clashes.join(", ")}: your edit was kept there (undo takes the merge back).
          </span>
          <button type="button" className="btn-sm" onClick={dismiss}>
            OK
          </button>
        </>
      )}
      {error && <span className="problem">{error.message}</span>}
    </div>
  );
}
