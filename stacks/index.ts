// Pulumi calls the exported function and exports what it returns as stack outputs.
import { runStack } from "./program";
export = runStack;
