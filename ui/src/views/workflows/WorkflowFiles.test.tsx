// The Workflows view's file actions against a fake backend that keeps the
// workflows folder as a list: the template gallery, duplicate, rename,
// delete with its confirmation, import (refused, free, taken) and export.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Definition, Template, Workflow, WorkflowImport } from "../../ipc";
import { definition } from "../../ipc/fixtures";
import { backend, callsOf, type Answers } from "../../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: () => Promise.resolve(() => {}) }));

const { useWorkflowsStore } = await import("../../stores/workflows");
const { useWorkflowFilesStore } = await import("../../stores/workflowFiles");
const { Workflows } = await import("../Workflows");

const TEMPLATES: Template[] = [
  { id: "code_review", name: "Code review", description: "Reviews code, then scores it.", steps: 3, inputs: ["code"] },
  { id: "scan_and_fix", name: "Scan and fix", description: "Scans, then fixes.", steps: 1, inputs: [] },
];

/** A backend whose workflows folder is `folder` (changed by the calls). */
function files(folder: Definition[], more: Answers = {}): Answers {
  const named = (w: Workflow, id: string, name: string): Definition =>
    definition(id, { workflow: { ...w, id, name } });
  const find = (id: string) => folder.find((d) => d.workflow?.id === id);
  const taken = (id: string) => {
    if (find(id)) throw { code: "conflict", message: `a workflow \`${id}\` exists already: choose another id` };
  };
  return {
    list_workflows: () => [...folder],
    list_runs: { runs: [], total: 2 },
    preflight_workflow: [],
    workflow_templates: TEMPLATES,
    create_from_template: ({ templateId, naming }) => {
      taken(naming.id);
      folder.push(named(definition(templateId).workflow!, naming.id, naming.name));
      return { version: 1, problems: [] };
    },
    create_workflow: ({ workflow }) => {
      taken(workflow.id);
      folder.push(definition(workflow.id, { workflow }));
      return { version: 1, problems: [] };
    },
    duplicate_workflow: ({ workflowId, naming }) => {
      taken(naming.id);
      folder.push(named(find(workflowId)!.workflow!, naming.id, naming.name));
      return { version: 1, problems: [] };
    },
    rename_workflow: ({ workflowId, naming }) => {
      if (naming.id !== workflowId) taken(naming.id);
      const at = folder.findIndex((d) => d.workflow?.id === workflowId);
      folder[at] = named(folder[at]!.workflow!, naming.id, naming.name);
      return { version: 4, problems: [] };
    },
    delete_workflow: ({ workflowId }) => {
      folder.splice(
        folder.findIndex((d) => d.workflow?.id === workflowId),
        1,
      );
      return null;
    },
    ...more,
  };
}

function listed(): string[] {
  return within(screen.getByTestId("workflow-list"))
    .getAllByRole("button")
    .map((b) => b.getAttribute("data-testid") ?? "")
    .filter((id) => id.startsWith("workflow-") && id !== "workflow-import");
}

async function shown(id: string) {
  await waitFor(() => expect(screen.getByTestId("workflow-id").textContent).toBe(id));
}

beforeEach(() => {
  invoke.mockReset();
  useWorkflowsStore.setState(useWorkflowsStore.getInitialState(), true);
  useWorkflowFilesStore.setState(useWorkflowFilesStore.getInitialState(), true);
});
afterEach(cleanup);

describe("workflow files", () => {
  it("creates a workflow from a template in the gallery and opens it in the designer", async () => {
    backend(invoke, files([definition("demo")], { get_workflow: () => definition("my_code_review"), get_draft: null }));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("new-from-template"));
    const gallery = await screen.findByTestId("template-list");
    expect(within(gallery).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "Code review3 steps · inputs: codeReviews code, then scores it.",
      "Scan and fix1 stepScans, then fixes.",
    ]);
    fireEvent.click(screen.getByTestId("template-code_review"));
    expect((screen.getByTestId("template-naming-id") as HTMLInputElement).value).toBe("my_code_review");
    fireEvent.change(screen.getByTestId("template-naming-name"), { target: { value: "Nightly review" } });
    expect((screen.getByTestId("template-naming-id") as HTMLInputElement).value).toBe("nightly_review");
    fireEvent.click(screen.getByTestId("template-naming-submit"));
    await waitFor(() => expect(screen.getByTestId("designer")).toBeTruthy());
    expect(callsOf(invoke, "create_from_template")).toEqual([
      { templateId: "code_review", naming: { id: "nightly_review", name: "Nightly review" } },
    ]);
    expect(useWorkflowsStore.getState().selected).toBe("nightly_review");
  });

  it("says why a template copy was refused and keeps the gallery open", async () => {
    backend(invoke, files([definition("demo"), definition("taken")]));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("new-from-template"));
    fireEvent.click(await screen.findByTestId("template-scan_and_fix"));
    fireEvent.change(screen.getByTestId("template-naming-id"), { target: { value: "taken" } });
    fireEvent.click(screen.getByTestId("template-naming-submit"));
    await waitFor(() =>
      expect(screen.getByTestId("template-naming-error").textContent).toBe(
        "a workflow `taken` exists already: choose another id",
      ),
    );
    expect(screen.getByTestId("template-gallery")).toBeTruthy();
  });

  it("duplicates the chosen workflow as a copy and shows it", async () => {
    backend(invoke, files([definition("demo")]));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-duplicate"));
    expect((screen.getByTestId("duplicate-name") as HTMLInputElement).value).toBe("Copy of Workflow demo");
    expect((screen.getByTestId("duplicate-id") as HTMLInputElement).value).toBe("copy_of_workflow_demo");
    fireEvent.click(screen.getByTestId("duplicate-submit"));
    await shown("copy_of_workflow_demo");
    expect(screen.queryByTestId("duplicate-dialog")).toBeNull();
    expect(listed()).toEqual(["workflow-demo", "workflow-copy_of_workflow_demo"]);
    expect(screen.getByTestId("workflow-name").textContent).toBe("Copy of Workflow demo");
  });

  it("renames the name and the id, and refuses an id that is taken", async () => {
    backend(invoke, files([definition("demo"), definition("other")]));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-rename"));
    expect(screen.getByTestId("rename-dialog").textContent).toContain("runs made so far stay listed under demo");
    fireEvent.change(screen.getByTestId("rename-id"), { target: { value: "other" } });
    fireEvent.click(screen.getByTestId("rename-submit"));
    await waitFor(() =>
      expect(screen.getByTestId("rename-error").textContent).toBe("a workflow `other` exists already: choose another id"),
    );
    // Typing a name after editing the id leaves the id as typed.
    fireEvent.change(screen.getByTestId("rename-id"), { target: { value: "weekly" } });
    fireEvent.change(screen.getByTestId("rename-name"), { target: { value: "Weekly digest" } });
    fireEvent.click(screen.getByTestId("rename-submit"));
    await shown("weekly");
    expect(callsOf(invoke, "rename_workflow").at(-1)).toEqual({
      workflowId: "demo",
      naming: { id: "weekly", name: "Weekly digest" },
    });
    expect(listed()).toEqual(["workflow-weekly", "workflow-other"]);
  });

  it("deletes only after the confirmation, which says what goes and what stays", async () => {
    backend(invoke, files([definition("demo"), definition("other")]));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-delete"));
    const said = screen.getByTestId("delete-consequences").textContent ?? "";
    expect(said).toContain("Goes: its file /data/workflows/demo.json");
    expect(said).toContain("Stays: its saved versions, and its 2 runs, each still readable with the version it ran");
    // Cancel keeps it.
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByTestId("delete-dialog")).toBeNull();
    expect(callsOf(invoke, "delete_workflow")).toEqual([]);

    fireEvent.click(screen.getByTestId("workflow-delete"));
    fireEvent.click(screen.getByTestId("delete-confirm"));
    await shown("other");
    expect(callsOf(invoke, "delete_workflow")).toEqual([{ workflowId: "demo" }]);
    expect(listed()).toEqual(["workflow-other"]);
  });

  it("keeps the workflow and says why when a delete is refused", async () => {
    backend(
      invoke,
      files([definition("demo")], {
        delete_workflow: () => {
          throw { code: "conflict", message: "workflow `demo` has runs under way; cancel them first" };
        },
      }),
    );
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-delete"));
    fireEvent.click(screen.getByTestId("delete-confirm"));
    await waitFor(() =>
      expect(screen.getByTestId("delete-error").textContent).toBe("workflow `demo` has runs under way; cancel them first"),
    );
    expect(listed()).toEqual(["workflow-demo"]);
  });

  it("imports a file under its own id when it is free", async () => {
    const read: WorkflowImport = {
      file: "/home/me/fresh.json",
      workflow: { ...definition("fresh").workflow!, name: "Fresh" },
      taken: false,
      freeId: "fresh",
    };
    backend(invoke, files([definition("demo")], { import_workflow_file: read }));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-import"));
    await shown("fresh");
    expect(callsOf(invoke, "create_workflow")).toEqual([{ workflow: read.workflow }]);
  });

  it("offers an import whose id is taken as a copy, never over the existing one", async () => {
    const read: WorkflowImport = {
      file: "/home/me/demo.json",
      workflow: { ...definition("demo").workflow!, name: "Theirs" },
      taken: true,
      freeId: "demo_2",
    };
    backend(invoke, files([definition("demo")], { import_workflow_file: read }));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-import"));
    expect((await screen.findByTestId("import-copy-reason")).textContent).toBe(
      "A workflow demo exists already; /home/me/demo.json is imported as a copy under a new id, and the existing one stays as it is.",
    );
    expect((screen.getByTestId("import-copy-id") as HTMLInputElement).value).toBe("demo_2");
    fireEvent.click(screen.getByTestId("import-copy-submit"));
    await shown("demo_2");
    expect(callsOf(invoke, "create_workflow")).toEqual([
      { workflow: { ...read.workflow, id: "demo_2", name: "Theirs (imported)" } },
    ]);
    expect(listed()).toEqual(["workflow-demo", "workflow-demo_2"]);
  });

  it("shows the engine's reason for a file it refused, and nothing for a cancelled dialog", async () => {
    let answer: WorkflowImport | null = null;
    backend(
      invoke,
      files([definition("demo")], {
        import_workflow_file: () => {
          if (answer === null) return null;
          throw { code: "invalid_workflow", message: "/tmp/x.json: workflow `x` has 1 problem: steps[0].agent: no agent AG-999 in the catalog" };
        },
      }),
    );
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-import"));
    await waitFor(() => expect(callsOf(invoke, "import_workflow_file")).toHaveLength(1));
    expect(screen.queryByTestId("workflow-import-error")).toBeNull();
    answer = {} as WorkflowImport;
    fireEvent.click(screen.getByTestId("workflow-import"));
    await waitFor(() =>
      expect(screen.getByTestId("workflow-import-error").textContent).toBe(
        "/tmp/x.json: workflow `x` has 1 problem: steps[0].agent: no agent AG-999 in the catalog",
      ),
    );
    expect(callsOf(invoke, "create_workflow")).toEqual([]);
  });

  it("says where it exported the workflow", async () => {
    backend(invoke, files([definition("demo")], { export_workflow_file: "/home/me/demo.json" }));
    render(<Workflows />);
    await shown("demo");
    fireEvent.click(screen.getByTestId("workflow-export"));
    await waitFor(() =>
      expect(screen.getByTestId("workflow-file-notice").textContent).toBe("Exported to /home/me/demo.json"),
    );
    expect(callsOf(invoke, "export_workflow_file")).toEqual([{ workflowId: "demo" }]);
  });
});
