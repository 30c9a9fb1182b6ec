import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { runStep } from "../../ipc/fixtures";
import { StepIo } from "./RunDetail";

describe("StepIo", () => {
  it("says why a step waits for a healthy agent, and nothing once it goes on", () => {
    const why = "no healthy agent can take `orchestration`: AG-001 deployed but not healthy; it goes on once one is";
    const { rerender } = render(<StepIo step={runStep("one", { status: "running", held: why })} />);
    expect(screen.getByTestId("step-held-one").textContent).toBe(`Waiting: ${why}`);
    rerender(<StepIo step={runStep("one", { status: "running" })} />);
    expect(screen.queryByTestId("step-held-one")).toBeNull();
  });
});
