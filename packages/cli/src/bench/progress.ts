// A one-line progress bar on a terminal's stderr (none for pipes, files or --json).
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export type Progress = (done: number, total: number, label: string) => void;

export function progressBar(stream: ProgressStream): { update: Progress; clear(): void } | undefined {
  if (!stream.isTTY) return undefined;
  let shown = false;
  return {
    update(done, total, label) {
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} `;
      const room = Math.max(10, (stream.columns || 80) - bar.length - 1);
      const text = label.length > room ? `${label.slice(0, room - 1)}…` : label;
      stream.write(`\r\x1b[2K${bar}${text}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
