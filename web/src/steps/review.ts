// Step 5: what the QA scan found — the summary, each flagged frame with its reasons and before/after, and the
// final video to accept.

import { Settings, errorText, get } from '../api';
import { merge } from '../context';
import { Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { JobView } from '../job_view';

interface ReviewFrame {
  frame: number;
  status: string;
  reasons: string[];
  before: { confidence: number; similarity: number | null };
  after: { confidence: number; similarity: number | null } | null;
  chosen: string | null;
  thumbnails?: { before: string; after: string };
}

interface ReviewReport {
  summary: string;
  flagged: number;
  repaired: number;
  frames: ReviewFrame[];
}

const kReasons: Record<string, string> = {
  no_face: 'no face found',
  low_confidence: 'face barely detected',
  low_similarity: 'does not look like the source',
  jump: 'the face jumps',
  requested: 'picked by you',
};

export class ReviewStep implements Step {
  readonly title = 'Review';
  readonly element: HTMLElement;
  private readonly body = h('div');
  private readonly message = messageBox();
  private readonly job: JobView;
  private readonly others = h('input', { id: 'other-frames', type: 'text', placeholder: 'e.g. 3, 7' });

  constructor(private readonly context: WizardContext) {
    this.job = new JobView(() => context.choices.project, () => this.repaired());
    this.element = h('section', {}, h('h2', {}, 'Review the result'), this.body,
      h('div', { class: 'row' }, h('label', { for: 'other-frames' }, 'Also repair frames'), this.others,
        h('button', { type: 'button', onclick: () => this.repairAgain() }, 'Repair again')),
      this.message.element, this.job.element);
  }

  left(): void {
    this.job.stop();
  }

  // The picked frames swapped again along the repair ladder: only the review phase runs again.
  private async repairAgain(): Promise<void> {
    this.message.clear();
    const picked = Array.from(this.body.querySelectorAll<HTMLInputElement>('input.repair:checked'), (b) => Number(b.value));
    const typed = this.others.value.split(/[\s,]+/).filter(Boolean).map(Number);
    const frames = [...new Set([...picked, ...typed])].sort((a, b) => a - b);
    if (!frames.length || frames.some((f) => !Number.isInteger(f) || f < 0)) {
      return this.message.show('Tick the frames to repair, or type their numbers (e.g. 3, 7).');
    }
    const request = this.context.jobRequest('');
    const settings = merge(structuredClone(request.settings), { review: { frames } as unknown as Settings });
    try {
      this.job.follow(await this.context.submit({ ...request, settings }));
    } catch (error) {
      this.message.show(errorText(error));
    }
  }

  private async repaired(): Promise<void> {
    await this.context.refresh();
    await this.shown();
  }

  missing(): string | null {
    return null;
  }

  async shown(): Promise<void> {
    const outputs = this.context.project?.outputs;
    if (!outputs?.review_report || !outputs.final) {
      this.body.replaceChildren(h('p', {}, 'Swap the faces first: the review runs right after.'));
      return;
    }
    const report = await get<ReviewReport>(outputs.review_report);
    const folder = outputs.review_report.slice(0, outputs.review_report.lastIndexOf('/') + 1);
    const flagged = report.frames.filter((f) => f.status !== 'passed');
    const percent = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(100 * x)}%`);
    this.body.replaceChildren(
      h('p', { class: 'summary' }, report.summary),
      flagged.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'flagged' },
            h('thead', {}, h('tr', {}, ...['Frame', 'Why', 'Result', 'Before', 'After'].map((t) => h('th', {}, t)))),
            h('tbody', {}, ...flagged.map((f) => h('tr', {},
              h('td', {}, h('label', { class: 'inline' },
                h('input', { type: 'checkbox', class: 'repair', value: f.frame, 'aria-label': `Repair frame ${f.frame} again` }),
                ` ${f.frame}`)),
              h('td', {}, f.reasons.map((r) => kReasons[r] ?? r).join(', ')),
              h('td', {}, `${f.status}${f.chosen ? ` (${f.chosen})` : ''}`),
              h('td', {}, f.thumbnails ? h('img', { src: folder + f.thumbnails.before, alt: `Frame ${f.frame} before` }) : '',
                h('span', { class: 'muted' }, ` similarity ${percent(f.before.similarity)}`)),
              h('td', {}, f.thumbnails ? h('img', { src: folder + f.thumbnails.after, alt: `Frame ${f.frame} after` }) : '',
                h('span', { class: 'muted' }, ` similarity ${percent(f.after?.similarity)}`)))))))
        : h('p', {}, 'No frame was flagged.'),
      h('div', { class: 'row' },
        h('a', { href: `${outputs.final}?download=1`, download: `${this.context.choices.project}.mp4`,
          class: 'button primary' }, 'Accept and download')));
  }
}
