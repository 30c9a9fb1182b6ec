// A text field (one line or several) that offers completions while a
// template is typed: the list opens under the field, arrows move in it,
// Enter or Tab (or a click) inserts the choice at the caret, Escape closes
// it. What is offered comes from `offer` (see completions.ts).
import { useLayoutEffect, useRef, useState } from "react";
import { applyCompletion, type Completion, type Offer } from "./completions";
import "./Completion.css";

type Props = {
  value: string;
  onValue: (value: string) => void;
  /** The offer for the text before the caret, or null. */
  offer: (before: string) => Offer | null;
  multiline?: boolean;
  rows?: number;
  placeholder?: string;
  onBlur?: () => void;
  "data-testid"?: string;
};

type Open = { offer: Offer; caret: number; active: number };

export function CompletingField({ value, onValue, offer, multiline, onBlur, ...field }: Props) {
  const element = useRef<HTMLInputElement | HTMLTextAreaElement | null>(null);
  const [open, setOpen] = useState<Open | null>(null);
  // Where the caret goes once a choice is rendered.
  const caretTo = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (caretTo.current === null || !element.current) return;
    element.current.setSelectionRange(caretTo.current, caretTo.current);
    caretTo.current = null;
  });

  function typed(text: string, caret: number) {
    onValue(text);
    const found = offer(text.slice(0, caret));
    setOpen(found ? { offer: found, caret, active: 0 } : null);
  }

  function choose(item: Completion) {
    if (!open) return;
    const done = applyCompletion(value, open.caret, open.offer, item);
    caretTo.current = done.caret;
    onValue(done.value);
    setOpen(null);
  }

  function key(e: React.KeyboardEvent) {
    if (!open) return;
    const count = open.offer.items.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : count - 1;
      setOpen({ ...open, active: (open.active + step) % count });
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(open.offer.items[open.active]!);
    } else if (e.key === "Escape") {
      e.preventDefault();
      setOpen(null);
    }
  }

  const common = {
    ...field,
    value,
    autoComplete: "off",
    spellCheck: false,
    "aria-autocomplete": "list" as const,
    "aria-expanded": open !== null,
    onKeyDown: key,
    onClick: () => setOpen(null),
    onBlur: () => {
      setOpen(null);
      onBlur?.();
    },
  };
  const testid = field["data-testid"] ?? "completion";
  return (
    <span className="completing">
      {multiline ? (
        <textarea
          {...common}
          ref={(el) => {
            element.current = el;
          }}
          onChange={(e) => typed(e.target.value, e.target.selectionStart)}
        />
      ) : (
        <input
          {...common}
          ref={(el) => {
            element.current = el;
          }}
          onChange={(e) => typed(e.target.value, e.target.selectionStart ?? e.target.value.length)}
        />
      )}
      {open && (
        <ul className="completions" role="listbox" data-testid={`${testid}-completions`}>
          {open.offer.items.map((item, i) => (
            <li
              key={item.text}
              role="option"
              aria-selected={i === open.active}
              className={i === open.active ? "active" : undefined}
              // Chosen before the field loses focus, so the caret stays.
              onMouseDown={(e) => {
                e.preventDefault();
                choose(item);
              }}
            >
              <code>{item.text}</code> <span className="muted">{item.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
