/**
 * Progress for `plan` on large fleets: a one-line counter of registered resources on stderr,
 * drawn with cli-progress only when stderr is a terminal and only once a run has taken a few
 * seconds, so small plans, pipes and CI logs stay quiet.
 */
import { SingleBar } from "cli-progress";

export interface ProgressOptions {
    /** Where to draw (stderr); nothing is drawn unless it is a TTY. */
    stream: NodeJS.WritableStream & { isTTY?: boolean };
    /** Milliseconds before the counter appears (default 3,000). */
    delayMs?: number;
}

export const DEFAULT_PROGRESS_DELAY_MS = 3000;

export class PlanProgress {
    private bar?: SingleBar;
    private timer?: NodeJS.Timeout;
    private started = 0;
    private count = 0;
    private phase = "reading the manifest and checking routes...";

    constructor(private readonly options?: ProgressOptions) {}

    private get enabled(): boolean {
        return this.options?.stream.isTTY === true;
    }

    start(): void {
        if (!this.enabled) return;
        this.started = Date.now();
        this.timer = setTimeout(() => this.show(), this.options!.delayMs ?? DEFAULT_PROGRESS_DELAY_MS);
        // Never keep the process alive for a progress line.
        this.timer.unref();
    }

    /** One resource registered. */
    registered(): void {
        this.count++;
        if (this.count === 1) this.phase = "registering resources:";
        this.bar?.update(this.count, { phase: this.phase });
    }

    stop(): void {
        if (!this.enabled) return;
        clearTimeout(this.timer);
        // A run past the delay whose timer could not fire (the event loop was busy) still shows its count.
        if (!this.bar && Date.now() - this.started >= (this.options!.delayMs ?? DEFAULT_PROGRESS_DELAY_MS)) this.show();
        this.bar?.stop();
        this.bar = undefined;
    }

    private show(): void {
        if (this.bar) return;
        this.bar = new SingleBar({
            stream: this.options!.stream as NodeJS.WriteStream,
            format: "plan: {phase} {value} resources registered ({duration_formatted})",
            clearOnComplete: true,
            hideCursor: false,
            fps: 4,
        });
        this.bar.start(0, this.count, { phase: this.phase });
    }
}
