import type { View } from "./registry";

/** The honest page of a view whose feature does not exist yet. */
export function NotBuilt({ view }: { view: View }) {
  return (
    <section className="card not-built" data-testid="not-built">
      <h2>Not built yet</h2>
      <p>{view.purpose}</p>
      <p className="muted">
        This view is part of the product's plan and has no feature behind it yet, so it shows no data.
      </p>
    </section>
  );
}
