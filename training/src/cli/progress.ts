/** cli-progress bars for embedding stages and epochs, with ETA; quiet when stderr is not a terminal. */
import cliProgress from "cli-progress";

export interface Progress {
  stage(label: string, done: number, total: number): void;
  epoch(epoch: number, total: number, detail: string): void;
  log(line: string): void;
  stop(): void;
}

export function createProgress(): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: "{label} |{bar}| {value}/{total} {detail} ETA {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = "";
  const show = (label: string, done: number, total: number, detail: string) => {
    if (label !== current) {
      if (current) bar.stop();
      current = label;
      bar.start(total, done, { label, detail });
    } else {
      bar.update(done, { label, detail });
    }
  };
  return {
    stage: (label, done, total) => show(label, done, total, ""),
    epoch: (epoch, total, detail) => show("training", epoch, total, detail),
    log: (line) => {
      if (current) {
        bar.stop();
        current = "";
      }
      console.error(line);
    },
    stop: () => {
      if (current) bar.stop();
      current = "";
    },
  };
}
