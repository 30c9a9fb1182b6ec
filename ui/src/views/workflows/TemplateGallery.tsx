// The gallery of the templates shipped with the app: each with its name,
// description, steps and inputs; one chosen is created as a new workflow
// under the id and name given.
import { useEffect, useState } from "react";
import type { Template } from "../../ipc";
import { useWorkflowFilesStore } from "../../stores/workflowFiles";
import { Modal } from "./Modal";
import { NamingForm } from "./NamingForm";
import { idOf } from "./format";

type Props = {
  onCreated: (id: string) => void;
  onClose: () => void;
};

export function TemplateGallery({ onCreated, onClose }: Props) {
  const templates = useWorkflowFilesStore((s) => s.templates);
  const error = useWorkflowFilesStore((s) => s.templatesError);
  const loadTemplates = useWorkflowFilesStore((s) => s.loadTemplates);
  const fromTemplate = useWorkflowFilesStore((s) => s.fromTemplate);
  const [chosen, setChosen] = useState<Template | null>(null);

  useEffect(() => {
    void loadTemplates();
  }, [loadTemplates]);

  return (
    <Modal title="New workflow from a template" testId="template-gallery" onClose={onClose} wide>
      {error && (
        <p className="problem" role="alert">
          {error.message}
        </p>
      )}
      {templates === null && !error && <p className="muted">Loading the templates…</p>}
      {chosen === null ? (
        <ul className="template-grid" data-testid="template-list">
          {templates?.map((t) => (
            <li key={t.id}>
              <button
                type="button"
                className="template-card"
                data-testid={`template-${t.id}`}
                onClick={() => setChosen(t)}
              >
                <strong>{t.name}</strong>
                <span className="muted">
                  {t.steps} step{t.steps === 1 ? "" : "s"}
                  {t.inputs.length > 0 && ` · inputs: ${t.inputs.join(", ")}`}
                </span>
                <span>{t.description}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <>
          <p>
            <strong>{chosen.name}</strong> <span className="muted">({chosen.steps} steps)</span>
            <br />
            <span className="muted">{chosen.description}</span>
          </p>
          <NamingForm
            initial={{ name: `My ${chosen.name}`, id: idOf(`My ${chosen.name}`) }}
            testId="template-naming"
            submitLabel="Create"
            hint="A copy of the template is saved as version 1 of a new workflow; the template itself stays as it is."
            onSubmit={async (naming) => {
              const id = await fromTemplate(chosen.id, naming);
              onCreated(id);
            }}
            onCancel={() => setChosen(null)}
          />
        </>
      )}
    </Modal>
  );
}
