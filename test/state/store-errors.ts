/** Errors a store reported during a conformance case, less the one the suite provokes on purpose. */
export function unexpectedErrors(errors: readonly unknown[]): unknown[] {
  return errors.filter((error) => !(error instanceof Error && error.message === "listener bug"));
}
