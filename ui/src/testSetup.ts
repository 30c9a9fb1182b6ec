// What jsdom lacks and the components use, for every vitest file.

// The designer's canvas (xyflow) measures its nodes with ResizeObserver.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
