/**
 * `npm run build`, once per test run: the plugin, the packed tarball and the compiled CLI are what
 * users run, so the tests that exercise them share one build of the current sources.
 */
import { execFile } from "child_process";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

let building: Promise<void> | undefined;

export function ensureBuilt(): Promise<void> {
    building ??= new Promise<void>((resolve, reject) => {
        execFile("npm", ["run", "--silent", "build"], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err) reject(new Error(`npm run build failed:\n${stdout}\n${stderr}`));
            else resolve();
        });
    });
    return building;
}
