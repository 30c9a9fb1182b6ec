// What a person does with whole workflows: the shipped templates (the
// new workflow gallery), create, duplicate, rename, delete, import and
// export. Each action reloads the workflow list and chooses the workflow
// it made; a refusal rejects with the engine's IpcError for the form that
// asked.
import { create } from "zustand";
import { commands, type IpcError, type Naming, type Template, type Workflow, type WorkflowImport } from "../ipc";
import { toIpcError } from "../ipc/call";
import { forgetHistory } from "./designerHistory";
import { useWorkflowsStore } from "./workflows";

/** What an import came to: created under its own id, or its id is taken
 * and it waits for the person to choose a copy's id and name. */
export type Imported = { created: string } | { taken: WorkflowImport };

type WorkflowFilesState = {
  templates: Template[] | null;
  templatesError: IpcError | null;
  loadTemplates: () => Promise<void>;
  /** Each resolves with the id of the workflow made (now chosen in the list). */
  createBlank: (naming: Naming) => Promise<string>;
  fromTemplate: (templateId: string, naming: Naming) => Promise<string>;
  duplicate: (workflowId: string, naming: Naming) => Promise<string>;
  rename: (workflowId: string, naming: Naming) => Promise<string>;
  /** Creates an imported workflow under `naming` (a copy when its id is taken). */
  createImported: (workflow: Workflow, naming: Naming) => Promise<string>;
  remove: (workflowId: string) => Promise<void>;
  /** Shows the open dialog; null when the person cancelled. */
  importFile: () => Promise<Imported | null>;
  /** Shows the save dialog; the path written, or null when cancelled. */
  exportFile: (workflowId: string) => Promise<string | null>;
};

/** Runs `call`, then shows the list with `id` chosen. */
async function making(id: string, call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    throw toIpcError(err);
  }
  const list = useWorkflowsStore.getState();
  await list.load();
  list.select(id);
  return id;
}

export const useWorkflowFilesStore = create<WorkflowFilesState>((set) => ({
  templates: null,
  templatesError: null,
  loadTemplates: async () => {
    try {
      set({ templates: await commands.workflowTemplates(), templatesError: null });
    } catch (err) {
      set({ templatesError: toIpcError(err) });
    }
  },
  createBlank: (naming) =>
    making(naming.id, () =>
      commands.createWorkflow({ ...naming, description: "", inputs: [], outputs: [], steps: [] }),
    ),
  fromTemplate: (templateId, naming) => making(naming.id, () => commands.createFromTemplate(templateId, naming)),
  duplicate: (workflowId, naming) => making(naming.id, () => commands.duplicateWorkflow(workflowId, naming)),
  rename: (workflowId, naming) => making(naming.id, () => commands.renameWorkflow(workflowId, naming)),
  createImported: (workflow, naming) =>
    making(naming.id, () => commands.createWorkflow({ ...workflow, id: naming.id, name: naming.name })),
  remove: async (workflowId) => {
    try {
      await commands.deleteWorkflow(workflowId);
    } catch (err) {
      throw toIpcError(err);
    }
    // Its undo history goes with its draft (a new workflow may take the id).
    forgetHistory(workflowId);
    const list = useWorkflowsStore.getState();
    // Nothing chosen: the reload chooses the first workflow left.
    if (list.selected === workflowId) list.select(null);
    await list.load();
  },
  importFile: async () => {
    let read: WorkflowImport | null;
    try {
      read = await commands.importWorkflowFile();
    } catch (err) {
      throw toIpcError(err);
    }
    if (!read) return null;
    if (read.taken) return { taken: read };
    const workflow = read.workflow;
    return { created: await making(workflow.id, () => commands.createWorkflow(workflow)) };
  },
  exportFile: async (workflowId) => {
    try {
      return await commands.exportWorkflowFile(workflowId);
    } catch (err) {
      throw toIpcError(err);
    }
  },
}));
