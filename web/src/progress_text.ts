// The PRD's progress lines, worded as the CLI words them (src/jobs/progress_text.cpp):
//   "Phase 2/5: Training Identity Adapter"   and   "Epoch 47/100 | Loss: 0.0234 | ETA: 12m 34s"

export interface TelemetryEvent {
  time: number;
  job: string;
  phase: { name: string; index: number; count: number };
  kind: 'phase_start' | 'step' | 'epoch' | 'sample' | 'checkpoint' | 'warning' | 'error' | 'phase_end';
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  lr?: number;
  items_per_s?: number;
  eta_s?: number;
  message?: string;
}

export function durationText(seconds: number): string {
  const total = Math.round(Math.max(0, seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total >= 3600) return `${Math.floor(total / 3600)}h ${pad(Math.floor(total / 60) % 60)}m`;
  if (total >= 60) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  return `${total}s`;
}

export function phaseLine(index: number, count: number, title: string): string {
  return `Phase ${index}/${count}: ${title}`;
}

export function stepLine(event: TelemetryEvent): string {
  const parts: string[] = [];
  const frames = ['extract', 'swap', 'review'].includes(event.phase.name);
  if (event.epoch !== undefined && event.epochs !== undefined) parts.push(`Epoch ${event.epoch}/${event.epochs}`);
  else if (event.step !== undefined) {
    parts.push(`${frames ? 'Frame' : 'Step'} ${event.step}${event.steps !== undefined ? `/${event.steps}` : ''}`);
  }
  if (event.loss !== undefined) parts.push(`Loss: ${event.loss.toFixed(4)}`);
  if (event.eta_s !== undefined) parts.push(`ETA: ${durationText(event.eta_s)}`);
  return parts.join(' | ');
}
