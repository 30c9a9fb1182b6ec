import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ContainerAudit } from "../../ipc";
import { check, containerAudit } from "../../ipc/fixtures";
import { backend, callsOf } from "../../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { useContainersStore } = await import("../../stores/containers");
const { ContainersTab } = await import("./ContainersTab");

beforeEach(() => {
  invoke.mockReset();
  useContainersStore.setState(useContainersStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Containers", () => {
  it("lists the containers in the engine's order and opens one's checks, warns first, with their fixes", async () => {
    backend(invoke, {
      container_audit: [
        containerAudit("sutazai-ag-001"),
        containerAudit("postgres", {
          image: "postgres:16",
          ours: false,
          agentId: null,
          running: false,
          checks: [check("5.3")],
          warnings: 0,
          critical: 0,
        }),
      ],
    });
    render(<ContainersTab />);
    const row = await screen.findByTestId("container-row-sutazai-ag-001");
    const rows = screen.getAllByTestId(/^container-row-/).map((r) => r.dataset.testid);
    expect(rows).toEqual(["container-row-sutazai-ag-001", "container-row-postgres"]);
    expect(within(row).getByText("ours")).toBeTruthy();
    expect(screen.getByTestId("container-critical-sutazai-ag-001").textContent).toBe("1");
    expect(screen.getByTestId("container-warnings-sutazai-ag-001").className).toBe("badge badge-checking");
    expect(screen.getByTestId("container-critical-postgres").className).toBe("badge badge-unknown");
    expect(within(screen.getByTestId("container-row-postgres")).getByText("other")).toBeTruthy();
    expect(screen.queryByTestId("container-checks-sutazai-ag-001")).toBeNull();

    fireEvent.click(row);
    const checks = screen.getByTestId("container-checks-sutazai-ag-001");
    const order = within(checks).getAllByTestId(/^check-/).map((r) => r.dataset.testid);
    expect(order).toEqual(["check-5.5", "check-5.10", "check-5.3"]);
    const privileged = within(checks).getByTestId("check-5.5");
    expect(within(privileged).getByText("warn · critical").className).toBe("badge badge-unreachable");
    expect(privileged.textContent).toContain("runs privileged");
    expect(privileged.textContent).toContain("drop --privileged");
    expect(within(checks).getByTestId("check-5.10").textContent).toContain("docker run --memory 512m");

    fireEvent.click(row);
    expect(screen.queryByTestId("container-checks-sutazai-ag-001")).toBeNull();
  });

  it("re-runs the audit, busy while it runs", async () => {
    let finish: (audits: ContainerAudit[]) => void = () => {};
    let calls = 0;
    backend(invoke, {
      container_audit: () => {
        calls += 1;
        if (calls === 1) return [containerAudit("a")];
        return new Promise<ContainerAudit[]>((resolve) => {
          finish = resolve;
        });
      },
    });
    render(<ContainersTab />);
    await screen.findByTestId("container-row-a");
    const button = screen.getByTestId("containers-audit-run") as HTMLButtonElement;
    fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(button.textContent).toBe("Auditing…");
    finish([containerAudit("b")]);
    await screen.findByTestId("container-row-b");
    expect(button.disabled).toBe(false);
    expect(callsOf(invoke, "container_audit")).toHaveLength(2);
  });

  it("shows the engine's error when Docker is unreachable", async () => {
    const message = "Docker is not reachable at unix:///var/run/docker.sock";
    backend(invoke, {
      container_audit: () => {
        throw { code: "docker_missing", message };
      },
    });
    render(<ContainersTab />);
    expect((await screen.findByTestId("containers-error")).textContent).toBe(message);
    expect(screen.queryByTestId("containers-table")).toBeNull();
  });
});
