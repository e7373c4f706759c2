/**
 * `gateway --demo`: local mock backends for the quick start (`npm start`), so the gateway has
 * something to route to before anything real is configured. A plain `gateway` never starts them:
 * a production gateway must not answer with made-up completions because its configuration is empty.
 * @module
 */
import { launchMocks, mockId } from "../process/mocks.js";
import type { ChildServer } from "../process/spawn-server.js";

export const DEMO_BACKEND_COUNT = 4;
export const DEMO_MODEL = "mock-model";

/** Starts the demo mocks on free loopback ports and says so on stderr, next to the READY line. */
export async function launchDemoBackends(): Promise<ChildServer[]> {
  const mocks = await launchMocks({ count: DEMO_BACKEND_COUNT, host: "127.0.0.1", basePort: 0, echo: false });
  const where = mocks.map((mock, index) => `${mockId(index)}=${mock.ready.url}`).join(" ");
  process.stderr.write(
    `switchyard: --demo: started ${mocks.length} local mock backends serving ${DEMO_MODEL} (${where}); ` +
      "without --demo the gateway serves only the backends you configure\n",
  );
  return mocks;
}
