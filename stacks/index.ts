// Pulumi calls the exported function and exports what it returns as stack outputs.
import { useCheapBookkeepingStackTraces } from "../components/stack-traces";
import { runStack } from "./program";

// The SDK's own bookkeeping traces would otherwise dominate a large fleet's run (see stack-traces.ts).
useCheapBookkeepingStackTraces();
export = runStack;
